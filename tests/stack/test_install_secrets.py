"""`make setup` and the secrets of `.env`: new installs get random ones, existing ones what they lack."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from osspulse import install
from osspulse.settings import REPO_ROOT, Settings
from osspulse.stack import configs


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setattr(install, "REPO_ROOT", tmp_path)
    (tmp_path / ".env.template").write_text((REPO_ROOT / ".env.template").read_text())
    return tmp_path


def test_a_new_env_has_a_random_value_for_every_placeholder(checkout):
    install.step_env_file(checkout)
    env = install.read_env_file(checkout / ".env")
    assert stat.S_IMODE((checkout / ".env").stat().st_mode) == 0o600
    secrets = install.template_secrets()
    assert {
        "OSSPULSE_AIRFLOW_FERNET_KEY",
        "OSSPULSE_TRINO_ETL_PASSWORD",
        "OSSPULSE_TRINO_SHARED_SECRET",
    } <= set(secrets)
    assert all(env[k] != "change-me" for k in secrets)
    assert len({env[k] for k in secrets}) == len(secrets)  # independent values
    assert len(base64.urlsafe_b64decode(env["OSSPULSE_AIRFLOW_FERNET_KEY"])) == 32


def test_an_existing_env_gets_the_secrets_it_lacks_and_keeps_the_rest(checkout):
    old = (
        "OSSPULSE_PG_PASSWORD=old-pg-password\nOSSPULSE_TRINO_PORT=4080\n"
        "OSSPULSE_AIRFLOW_ADMIN_PASSWORD=admin-pw\n"
    )
    (checkout / ".env").write_text(old)
    (checkout / ".env").chmod(0o644)
    outcome = install.step_env_file(checkout)
    assert "added" in outcome
    text = (checkout / ".env").read_text()
    assert text.startswith(old)
    env = install.read_env_file(checkout / ".env")
    assert (
        env["OSSPULSE_PG_PASSWORD"] == "old-pg-password"
        and env["OSSPULSE_AIRFLOW_ADMIN_PASSWORD"] == "admin-pw"
    )
    assert stat.S_IMODE((checkout / ".env").stat().st_mode) == 0o600
    # what older versions encrypted with the key derived from the Postgres password stays readable
    new, legacy = env["OSSPULSE_AIRFLOW_FERNET_KEY"].split(",")
    assert legacy == install.legacy_fernet_key("old-pg-password") and new != legacy
    assert install.step_env_file(checkout) == ".env exists, left as is"  # idempotent


def test_airflow_uses_every_fernet_key_until_the_rotation_then_only_the_first(tmp_path):
    from cryptography.fernet import Fernet

    new, old = Fernet.generate_key().decode(), install.legacy_fernet_key("pg")
    s = Settings(_env_file=None, airflow_fernet_key=f"{new},{old}")
    assert configs.airflow_env(s, airflow_home=tmp_path)["AIRFLOW__CORE__FERNET_KEY"] == f"{new},{old}"
    configs.fernet_rotation_stamp(s, tmp_path).write_text("")
    assert configs.airflow_env(s, airflow_home=tmp_path)["AIRFLOW__CORE__FERNET_KEY"] == new
    Fernet(old.encode())  # the legacy key is a valid Fernet key: Airflow could decrypt with it


@pytest.mark.integration
def test_stored_secrets_survive_the_move_to_an_independent_fernet_key(stack):
    """Upgraded from the derived key: `stack up` re-encrypts with the new key what the old one did."""
    import os
    import subprocess
    import sys

    from cryptography.fernet import Fernet

    from osspulse.stack import services

    airflow = str(Path(sys.executable).parent / "airflow")
    home = stack.state_dir / "airflow"
    current = configs.airflow_env(stack, airflow_home=home)["AIRFLOW__CORE__FERNET_KEY"]
    old = install.legacy_fernet_key(stack.pg_password.get_secret_value())
    new = Fernet.generate_key().decode()
    upgraded = stack.model_copy(update={"airflow_fernet_key": SecretStr(f"{new},{old}")})

    def cli(key: str, *args: str) -> subprocess.CompletedProcess:
        env = {
            **os.environ,
            **configs.airflow_env(stack, airflow_home=home),
            "AIRFLOW__CORE__FERNET_KEY": key,
        }
        return subprocess.run([airflow, *args], env=env, capture_output=True, text=True, timeout=300)

    name = "osspulse_fernet_probe"
    assert cli(old, "variables", "set", name, "stored-before-the-upgrade").returncode == 0
    stamp = configs.fernet_rotation_stamp(upgraded, home)
    try:
        assert cli(new, "variables", "get", name).returncode != 0  # the new key alone cannot read it yet
        services.Airflow(upgraded, component="api-server").migrate()  # what `stack up` runs
        assert stamp.exists()
        assert configs.airflow_env(upgraded, airflow_home=home)["AIRFLOW__CORE__FERNET_KEY"] == new
        got = cli(new, "variables", "get", name)
        assert got.stdout.strip().splitlines()[-1] == "stored-before-the-upgrade", got.stderr[-500:]
    finally:
        cli(f"{current.split(',')[0]},{new},{old}", "rotate-fernet-key")  # back to the stack's own key
        cli(current, "variables", "delete", name)
        stamp.unlink(missing_ok=True)
