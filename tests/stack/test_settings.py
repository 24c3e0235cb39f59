"""Settings: every field is documented in .env.template; secrets stay secret."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from osspulse.logs import RedactSecrets
from osspulse.settings import REPO_ROOT, Settings

TEMPLATE = REPO_ROOT / ".env.template"


def template_values() -> dict[str, str]:
    values = {}
    for line in TEMPLATE.read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key] = value
    return values


def env_name(field: str) -> str:
    return "GITHUB_TOKEN" if field == "github_token" else f"OSSPULSE_{field.upper()}"


def test_every_setting_is_listed_in_the_template():
    listed = set(template_values())
    missing = [env_name(f) for f in Settings.model_fields if env_name(f) not in listed]
    assert not missing, f"add these to .env.template: {missing}"


def test_template_lists_nothing_unknown():
    known = {env_name(f) for f in Settings.model_fields}
    unknown = [k for k in template_values() if k not in known]
    assert not unknown, f".env.template lists settings that do not exist: {unknown}"


def test_template_has_placeholders_not_secrets():
    values = template_values()
    for key, value in values.items():
        if re.search(r"PASSWORD|SECRET|TOKEN", key):
            assert value in ("", "change-me"), f"{key} in .env.template must be a placeholder"


def test_template_defaults_parse(tmp_path: Path):
    env = tmp_path / ".env"
    env.write_text(TEMPLATE.read_text())
    s = Settings(_env_file=env)
    assert (s.trino_port, s.airflow_port, s.streamlit_port, s.minio_port) == (1080, 8080, 8501, 9000)
    assert s.state_dir == REPO_ROOT / ".osspulse"
    assert s.bind_host == "127.0.0.1"


def test_bad_values_name_the_setting(tmp_path: Path):
    env = tmp_path / ".env"
    env.write_text("OSSPULSE_TRINO_PORT=70000\n")
    with pytest.raises(ValidationError, match="trino_port"):
        Settings(_env_file=env)


def test_secrets_are_not_in_repr():
    s = Settings(pg_password="hunter2-very-secret", github_token="ghp_abcdefghijklmnop")
    assert "hunter2" not in repr(s) and "ghp_abc" not in repr(s)


def test_log_filter_masks_secret_values():
    import logging

    record = logging.LogRecord("x", logging.INFO, __file__, 1, "token=%s ok", ("ghp_abcdefghijklmnop",), None)
    RedactSecrets(["ghp_abcdefghijklmnop"]).filter(record)
    assert record.getMessage() == "token=*** ok"


AWKWARD = "p a's\\s@w#rd/:%?"


def test_credentials_are_quoted_in_every_connection_string():
    """A space, quote, backslash, @, #, / or % in a password must reach libpq and SQLAlchemy intact."""
    from psycopg.conninfo import conninfo_to_dict
    from sqlalchemy.engine import make_url

    s = Settings(_env_file=None, pg_password=AWKWARD, pg_user="os spulse@x")
    parsed = conninfo_to_dict(s.pg_dsn("iceberg_catalog"))
    assert parsed["password"] == AWKWARD and parsed["user"] == "os spulse@x"
    assert parsed["dbname"] == "iceberg_catalog" and parsed["host"] == s.pg_host
    url = make_url(s.pg_sqlalchemy_url("iceberg_catalog"))  # PyIceberg's SqlCatalog
    assert (url.username, url.password, url.host, url.database) == (
        "os spulse@x",
        AWKWARD,
        s.pg_host,
        "iceberg_catalog",
    )
    from osspulse.stack.configs import airflow_env

    env = airflow_env(s, airflow_home=Path("/st/airflow"))
    assert make_url(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]).password == AWKWARD


def test_each_exposure_binds_where_its_setting_says():
    from osspulse.stack import services

    shared = Settings(_env_file=None, dashboard_bind_host="0.0.0.0")
    by_name = {svc.name: svc for svc in services.all_services(shared)}
    streamlit = by_name["streamlit"].command()
    assert streamlit[streamlit.index("--server.address") + 1] == "0.0.0.0"
    assert shared.dashboard_url == f"http://127.0.0.1:{shared.streamlit_port}"  # reached locally on loopback
    # everything else stays on loopback
    assert "node.bind-ip=127.0.0.1" in services.configs.trino_config_properties(
        shared, data_dir=Path("/d"), etc_dir=Path("/e"), plugin_dir=Path("/p")
    )
    assert f"127.0.0.1:{shared.minio_port}" in by_name["minio"].command()
    assert "listen_addresses=127.0.0.1" in by_name["postgres"].command()
    api = by_name["airflow-api-server"].command()
    assert api[api.index("--host") + 1] == "127.0.0.1"
    assert {svc.bind_host for name, svc in by_name.items() if name != "streamlit"} == {"127.0.0.1"}
