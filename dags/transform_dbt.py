"""
### transform_dbt

dbt on Trino (`dbt_project/`): `lake.raw` -> `lake.bronze` -> `lake.silver` -> `lake.gold`, in ONE task
(`dbt_build`) that runs one `dbt build` of the whole project: each model, then its data tests before
anything reads it, `OSSPULSE_DBT_THREADS` at a time. The task's log is dbt's; every model's and test's
outcome of every run is on the dashboard's Data health page (and in `lake.gold.data_health_dbt_tests`).
(A task per model, astronomer-cosmos's watcher mode, made a run on two cores twice as slow: docs/dbt.md.)

* Scheduled on the `lake.raw` asset that `load_iceberg` publishes after each load batch.
* `dbt source freshness` runs first: a stale source (past its `error_after`) holds back the models that
  read nothing else (gold keeps their last figures) and turns the task red, naming it, once the rest
  is built.
* Unit tests (SQL logic on fixed inputs) run in CI (`make test`), not in the daily run.
* `record_health` writes this run's dbt results (from `run_results.json`) and the latest DAG runs to
  `lake.ops` for the dashboard's Data health page, and regenerates the dbt docs site. It runs whatever
  happened upstream.
* `all_built` publishes `lake.gold` only when every model and test passed.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, get_current_context, task

from osspulse.orchestration.assets import GOLD, RAW_BATCH
from osspulse.orchestration.dag_ids import TRANSFORM


@dag(
    dag_id=TRANSFORM,
    schedule=RAW_BATCH,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "osspulse", "retries": 1, "retry_delay": timedelta(minutes=1)},
    tags=["osspulse", "transform", "dbt"],
    doc_md=__doc__,
)
def transform_dbt():
    @task
    def dbt_build() -> dict[str, int]:
        """Source freshness, then one `dbt build` (osspulse/transform/build.py)."""
        from osspulse.orchestration.tasks import dbt_build as run

        return run(get_current_context()["run_id"])

    @task(trigger_rule="all_done", retries=0)
    def record_health(**context) -> None:
        from osspulse.orchestration.tasks import record_health as run

        run(context["dag_run"].run_id)

    @task(outlets=[GOLD], retries=0)
    def all_built() -> None:
        """Runs only when every model and test passed (trigger rule all_success): publishes lake.gold."""

    dbt_build() >> [record_health(), all_built()]


transform_dbt()
