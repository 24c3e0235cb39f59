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
