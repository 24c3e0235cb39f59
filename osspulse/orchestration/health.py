"""Pipeline health written to the gold layer, so the dashboard (which reads only ``lake.gold``) can show it.

* ``lake.gold.dbt_test_results``: one row per dbt test task of each ``transform_dbt`` run (cosmos runs
  a model's tests as one task): its status, duration and, when it failed, the error from its log.
* ``lake.gold.pipeline_runs``: the latest runs of every OSS Pulse DAG, replaced on each record.

Both are written by the last task of ``transform_dbt`` (and can be refreshed with
``osspulse health record``), as the ``etl`` Trino user.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from osspulse.settings import Settings

log = logging.getLogger(__name__)

DBT_TEST_RESULTS_DDL = (
    "create table if not exists {catalog}.gold.dbt_test_results ("
    "invocation_id varchar, generated_at timestamp(6) with time zone, unique_id varchar, "
    "test_name varchar, model varchar, status varchar, failures bigint, message varchar, "
    "execution_time_s double) with (format_version = 2)"
)
PIPELINE_RUNS_DDL = (
    "create table if not exists {catalog}.gold.pipeline_runs ("
    "dag_id varchar, run_id varchar, run_type varchar, state varchar, "
    "start_date timestamp(6) with time zone, end_date timestamp(6) with time zone, duration_s double, "
    "recorded_at timestamp(6) with time zone) with (format_version = 2)"
)
PIPELINE_DAGS = ("ingest_github", "ingest_pypi", "load_iceberg", "transform_dbt", "maintain_lakehouse")


def _ts(value: datetime | None) -> str:
    if value is None:
        return "cast(null as timestamp(6) with time zone)"
    return f"timestamp '{value.astimezone(UTC).strftime('%Y-%m-%d %H:%M:%S.%f')} UTC'"


def _str(value: str | None) -> str:
    return "cast(null as varchar)" if value is None else "'" + value.replace("'", "''") + "'"


def _num(value: float | int | None, sql_type: str) -> str:
    return f"cast(null as {sql_type})" if value is None else f"cast({value} as {sql_type})"


def test_rows(
    task_instances: list[dict[str, Any]], run_id: str, errors: dict[str, str]
) -> list[dict[str, Any]]:
    """Rows of ``dbt_test_results`` from a ``transform_dbt`` run's task instances (pure)."""
    rows = []
    for ti in task_instances:
        task_id = ti["task_id"]
        if not (task_id.endswith(".test") or task_id.endswith("_test")):
            continue
        model = task_id.rsplit(".", 2)[-2] if "." in task_id else task_id.removesuffix("_test")
        state = ti.get("state")
        status = {
            "success": "pass",
            "failed": "fail",
            "upstream_failed": "skipped",
            "skipped": "skipped",
        }.get(state or "", state or "unknown")
        rows.append(
            {
                "invocation_id": run_id,
                "generated_at": _parse(ti.get("end_date")) or _parse(ti.get("start_date")),
                "unique_id": task_id,
                "test_name": f"tests of {model}",
                "model": model,
                "status": status,
                "failures": None,
                "message": errors.get(task_id) if status == "fail" else None,
                "execution_time_s": ti.get("duration"),
            }
        )
    return rows


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def record_dbt_tests(s: Settings, run_id: str) -> int:
    """Record the test tasks of one ``transform_dbt`` run; returns the rows written."""
    from osspulse.lake.trino import trino_connection
    from osspulse.orchestration.airflow_api import AirflowClient

    with AirflowClient(s) as api:
        tis = api.task_instances("transform_dbt", run_id)
        errors = {
            ti["task_id"]: api.error_of(api.log_file("transform_dbt", run_id, ti))
            for ti in tis
            if ti.get("state") == "failed"
        }
    rows = test_rows(tis, run_id, errors)
    with trino_connection(s) as conn:
        cur = conn.cursor()
        cur.execute(f"create schema if not exists {s.catalog_name}.gold")
        cur.execute(DBT_TEST_RESULTS_DDL.format(catalog=s.catalog_name))
        cur.execute(
            f"delete from {s.catalog_name}.gold.dbt_test_results where invocation_id = {_str(run_id)}"
        )
        cur.fetchall()
        if rows:
            values = ", ".join(
                f"({_str(r['invocation_id'])}, {_ts(r['generated_at'])}, {_str(r['unique_id'])}, "
                f"{_str(r['test_name'])}, {_str(r['model'])}, {_str(r['status'])}, "
                f"{_num(r['failures'], 'bigint')}, {_str(r['message'])}, "
                f"{_num(r['execution_time_s'], 'double')})"
                for r in rows
            )
            cur.execute(f"insert into {s.catalog_name}.gold.dbt_test_results values {values}")  # noqa: S608
            cur.fetchall()
    log.info("recorded %d dbt test results of %s", len(rows), run_id)
    return len(rows)


def record_pipeline_runs(s: Settings, per_dag: int = 20) -> int:
    """Replace ``pipeline_runs`` with the latest ``per_dag`` runs of every OSS Pulse DAG."""
    from osspulse.lake.trino import trino_connection
    from osspulse.orchestration.airflow_api import AirflowClient

    now = datetime.now(UTC)
    rows = []
    with AirflowClient(s) as api:
        for dag_id in PIPELINE_DAGS:
            data = api.request(
                "GET", f"/dags/{dag_id}/dagRuns", params={"limit": per_dag, "order_by": "-run_after"}
            )
            for run in data["dag_runs"]:
                start, end = _parse(run.get("start_date")), _parse(run.get("end_date"))
                duration = (end - start).total_seconds() if start and end else None
                rows.append(
                    f"({_str(dag_id)}, {_str(run['dag_run_id'])}, {_str(run.get('run_type'))}, "
                    f"{_str(run.get('state'))}, {_ts(start)}, {_ts(end)}, {_num(duration, 'double')}, "
                    f"{_ts(now)})"
                )
    with trino_connection(s) as conn:
        cur = conn.cursor()
        cur.execute(f"create schema if not exists {s.catalog_name}.gold")
        if not rows:
            cur.execute(PIPELINE_RUNS_DDL.format(catalog=s.catalog_name))
        else:  # one atomic replace: readers never see an empty table
            cur.execute(
                f"create or replace table {s.catalog_name}.gold.pipeline_runs with (format_version = 2) as "
                f"select * from (values {', '.join(rows)}) as t(dag_id, run_id, run_type, state, start_date, "
                "end_date, duration_s, recorded_at)"
            )
            cur.fetchall()
    log.info("recorded %d pipeline runs", len(rows))
    return len(rows)
