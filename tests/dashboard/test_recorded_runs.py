"""Data health and Overview read the run records Airflow writes into lake.ops (dbt_results and
pipeline_runs, osspulse/lake/ops.py) through dbt's gold views (data_health_dbt_tests, _dbt_test_runs,
data_health_dag_runs): here a scratch ops schema filled by the test, and those views built on it by dbt
into a scratch gold schema."""

from __future__ import annotations

import time
import uuid

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from osspulse.lake import ops as ops_tables
from osspulse.lake.trino import trino_connection
from osspulse.settings import get_settings
from osspulse.transform.dbt import DbtTarget, run_dbt

pytestmark = pytest.mark.integration

#: what the sidebar and the two pages read besides the records
COPIED = (
    "repo_headlines",
    "package_headlines",
    "package_downloads_daily",
    "project_comparison_monthly",
    "data_health_sources",
)
#: the dbt models over lake.ops
DATA_HEALTH_MODELS = ("ops_dbt_results", "ops_pipeline_runs", "data_health_dbt_tests")
DATA_HEALTH_MODELS += ("data_health_dbt_test_runs", "data_health_dag_runs")


def _execute(settings, statements: list[str]) -> None:
    with trino_connection(settings) as conn:
        cur = conn.cursor()
        for sql in statements:
            cur.execute(sql)
            cur.fetchall()


@pytest.fixture
def recorded_schema(gold_stack, monkeypatch, tmp_path):
    """lake.<scratch>_ops with the two run records, dbt's data health views built on them into
    lake.<scratch>_bronze / _gold, and copies of the gold tables the pages need beside them; the
    dashboard reads <scratch>_gold as the etl user (the dashboard user may read gold only)."""
    scratch = f"dashtest_{uuid.uuid4().hex[:8]}"
    ops, gold = f"{scratch}_ops", f"{scratch}_gold"
    ts = "timestamp '2026-11-23 {} UTC'"
    stack = gold_stack
    _execute(
        stack,
        [
            f"create schema lake.{ops}",
            ops_tables.DBT_RESULTS.trino_ddl(ops),
            f"""insert into lake.{ops}.dbt_results values
                ('run-old', 'inv-old', {ts.format("06:00:00")}, 'test.a', 'test', 'not_null_a',
                 'repo_activity_daily', 'pass', 0, null, 0.2),
                ('run-new', 'inv-new', {ts.format("07:00:00")}, 'model.a', 'model',
                 'repo_activity_daily', 'repo_activity_daily', 'success', null, null, 3.0),
                ('run-new', 'inv-new', {ts.format("07:00:00")}, 'test.a', 'test', 'not_null_a',
                 'repo_activity_daily', 'pass', 0, null, 0.2),
                ('run-new', 'inv-new', {ts.format("07:00:00")}, 'test.b', 'test', 'unique_b',
                 'top_contributors', 'fail', 2, 'Got 2 results, configured to fail if != 0', 0.3),
                ('run-new', 'inv-new', {ts.format("07:00:00")}, 'test.c', 'test', 'accepted_c',
                 'release_cadence', 'warn', 1, 'Got 1 result, configured to warn if != 0', 0.1)""",
            ops_tables.PIPELINE_RUNS.trino_ddl(ops),
            f"""insert into lake.{ops}.pipeline_runs values
                ('transform_dbt', 'run-1', 'asset_triggered', 'success', {ts.format("06:00:00")},
                 {ts.format("06:04:00")}, 240.0, {ts.format("06:04:01")}),
                ('transform_dbt', 'run-2', 'asset_triggered', 'failed', {ts.format("07:00:00")},
                 {ts.format("07:05:00")}, 300.0, {ts.format("07:05:01")}),
                ('ingest', 'scheduled__1', 'scheduled', 'success', {ts.format("00:00:00")},
                 {ts.format("00:03:00")}, 180.0, {ts.format("07:05:01")})""",
        ],
    )
    target = DbtTarget(schema_prefix=f"{scratch}_", ops_schema=ops, workdir=tmp_path / "dbt")
    run_dbt(stack, ["run", "--select", *DATA_HEALTH_MODELS], target, capture=True, check=True)
    _execute(stack, [f"create table lake.{gold}.{t} as select * from lake.gold.{t}" for t in COPIED])
    monkeypatch.setenv("OSSPULSE_DASHBOARD_SCHEMA", gold)
    # the dashboard logs in as the etl role here (the dashboard role may read gold only): its user and
    # password, since the role's password is looked up by user name
    monkeypatch.setenv("OSSPULSE_TRINO_DASHBOARD_USER", stack.trino_etl_user)
    monkeypatch.setenv("OSSPULSE_TRINO_DASHBOARD_PASSWORD", stack.trino_etl_password.get_secret_value())
    for clear in (get_settings.cache_clear, st.cache_data.clear, st.cache_resource.clear):
        clear()
    yield ops
    for clear in (get_settings.cache_clear, st.cache_data.clear, st.cache_resource.clear):
        clear()
    from osspulse_dev.sample_data import drop_schemas

    drop_schemas(stack, [ops, gold, f"{scratch}_bronze"])


def _page(name: str) -> None:
    from osspulse.dashboard.app import main

    main(name)


def test_data_health_shows_the_latest_dbt_tests_and_dag_runs(recorded_schema):
    at = AppTest.from_function(_page, args=("data-health",), default_timeout=60).run()
    assert not at.exception and not at.error, [e.value for e in (*at.exception, *at.error)]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Tests": "3", "Passed": "1", "Failed or errored": "1", "Warnings": "1", "Skipped": "0"}
    problems = at.dataframe[0].value
    assert list(problems["status"]) == ["fail", "warn"]
    assert problems["message"].iloc[0].startswith("Got 2 results")
    dags = at.table[1].value  # [0] is freshness
    assert dags.loc["transform_dbt", "last_state"] == "failed"
    assert dags.loc["ingest", "last_state"] == "success"
    assert "No dbt test results recorded yet" not in str([i.value for i in at.info])


def test_overview_shows_the_last_successful_transform(recorded_schema):
    at = AppTest.from_function(_page, args=("overview",), default_timeout=60).run()
    assert not at.exception and not at.error, [e.value for e in (*at.exception, *at.error)]
    assert "2026-11-23 06:04 UTC" in [m.value for m in at.markdown]


def _add_invocation(settings, schema: str, invocation: str, hour: str, tests: int) -> None:
    at = f"timestamp '2026-11-23 {hour}:00:00 UTC'"
    rows = ", ".join(
        f"('{invocation}', '{invocation}', {at}, 'test.{i}', 'test', 't{i}', 'm', 'pass', 0, null, 0.1)"
        for i in range(tests)
    )
    _execute(settings, [f"insert into lake.{schema}.dbt_results values {rows}"])


@pytest.fixture
def short_ttl(monkeypatch):
    """The dashboard's cache with a 1 s TTL (the TTL is read when the data module is imported)."""
    import importlib

    from osspulse.dashboard import data

    monkeypatch.setenv("OSSPULSE_DASHBOARD_CACHE_TTL_S", "1")
    get_settings.cache_clear()
    importlib.reload(data)
    yield
    monkeypatch.delenv("OSSPULSE_DASHBOARD_CACHE_TTL_S")
    get_settings.cache_clear()
    importlib.reload(data)


def test_new_data_shows_after_the_ttl_without_a_restart(gold_stack, recorded_schema, short_ttl):
    at = AppTest.from_function(_page, args=("data-health",), default_timeout=60).run()
    assert {m.label: m.value for m in at.metric}["Tests"] == "3"
    _add_invocation(gold_stack, recorded_schema, "inv-ttl", "08", 5)
    time.sleep(1.2)
    at.run()
    assert {m.label: m.value for m in at.metric}["Tests"] == "5"


def test_refresh_data_shows_new_data_at_once(gold_stack, recorded_schema):
    at = AppTest.from_function(_page, args=("data-health",), default_timeout=60).run()
    assert {m.label: m.value for m in at.metric}["Tests"] == "3"
    _add_invocation(gold_stack, recorded_schema, "inv-refresh", "09", 4)
    at.run()
    assert {m.label: m.value for m in at.metric}["Tests"] == "3"  # cached (TTL 300 s)
    next(b for b in at.button if b.label == "Refresh data").click().run()
    assert {m.label: m.value for m in at.metric}["Tests"] == "4"
