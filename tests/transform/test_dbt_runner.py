"""The dbt runner: profile environment from Settings, targets and schema prefixes."""

from __future__ import annotations

from pathlib import Path

import pytest

from osspulse.settings import Settings
from osspulse.transform.dbt import PROJECT_DIR, DbtTarget, dbt_env


@pytest.fixture
def custom_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "trino_host": "trino.internal",
            "trino_port": 18080,
            "trino_etl_user": "loader",
            "catalog_name": "warehouse",
            "bot_logins": "release-robot, ci-helper",
        }
    )


def test_dbt_env_carries_the_connection_from_settings(custom_settings: Settings) -> None:
    env = dbt_env(custom_settings, DbtTarget())
    assert env["OSSPULSE_TRINO_HOST"] == "trino.internal"
    assert env["OSSPULSE_TRINO_PORT"] == "18080"
    assert env["OSSPULSE_TRINO_ETL_USER"] == "loader"
    assert env["OSSPULSE_CATALOG_NAME"] == "warehouse"
    assert env["OSSPULSE_BOT_LOGINS"] == "release-robot, ci-helper"
    assert env["DBT_PROFILES_DIR"] == str(PROJECT_DIR)
    assert env["OSSPULSE_DBT_SCHEMA_PREFIX"] == ""
    assert env["OSSPULSE_DBT_RAW_SCHEMA"] == "raw"
    assert env["OSSPULSE_DBT_SEED_DIR"] == str(PROJECT_DIR / "seeds")
    assert "DBT_TARGET_PATH" not in env


def test_a_target_with_a_workdir_keeps_its_seeds_target_and_logs_apart(
    settings: Settings, tmp_path: Path
) -> None:
    target = DbtTarget(schema_prefix="t_ab12_", raw_schema="t_ab12_raw", workdir=tmp_path, run_tag="x")
    env = dbt_env(settings, target)
    assert env["OSSPULSE_DBT_SCHEMA_PREFIX"] == "t_ab12_"
    assert env["OSSPULSE_DBT_RAW_SCHEMA"] == "t_ab12_raw"
    assert env["OSSPULSE_DBT_SEED_DIR"] == str(tmp_path / "seeds")
    assert env["DBT_TARGET_PATH"] == str(tmp_path / "target")
    assert env["DBT_LOG_PATH"] == str(tmp_path / "logs")
    assert env["OSSPULSE_DBT_RUN_TAG"] == "x"
    assert [target.schema(layer) for layer in ("bronze", "silver", "gold")] == [
        "t_ab12_bronze",
        "t_ab12_silver",
        "t_ab12_gold",
    ]


def test_the_default_target_writes_the_production_schemas() -> None:
    assert [DbtTarget().schema(layer) for layer in ("bronze", "silver", "gold")] == [
        "bronze",
        "silver",
        "gold",
    ]


@pytest.mark.parametrize("prefix", ["T_", "dev", "1x_", "a-b_", "x; drop_"])
def test_schema_prefixes_must_be_safe_lowercase_identifiers_ending_in_underscore(prefix: str) -> None:
    with pytest.raises(ValueError, match="schema prefix"):
        DbtTarget(schema_prefix=prefix)


def test_raw_and_ops_schemas_must_be_identifiers() -> None:
    with pytest.raises(ValueError, match="raw schema"):
        DbtTarget(raw_schema="raw; drop")
    with pytest.raises(ValueError, match="ops schema"):
        DbtTarget(ops_schema="ops; drop")
