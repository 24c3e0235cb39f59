"""
### load_iceberg

Staging (Postgres) -> `lake.raw.<entity>` (Iceberg on MinIO, partitioned by `load_date`), one
`spark-submit` of `spark_jobs/load_raw.py` per entity. Each load replaces exactly the rows of its
load-date window, so reruns and overlapping windows never duplicate; it writes an audit row to
`lake.raw._load_audit` and unparseable payloads to `lake.raw._rejects`.

* Scheduled on the `staging.github` / `staging.pypi` batch assets; `plan` turns the triggering
  events into the entities and the window (their load dates). `choose` skips the entities of a
  source that did not run.
* Manual runs: `{"start": "2026-11-01", "end": "2026-11-08", "entities": ["github_commits"]}`
  (empty entities = all). Backfills of past days work the same way.
* Each load publishes `lake.raw.<entity>`; `publish_batch` publishes `lake.raw`, which schedules
  `transform_dbt`. Spark runs in local mode natively, on the standalone cluster in Docker Compose
  (the `osspulse_spark` connection).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pendulum
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
from airflow.sdk import Param, dag, task

from osspulse.entities import ENTITIES
from osspulse.orchestration.assets import RAW, RAW_BATCH, STAGING_BATCH

SPARK_JOBS = Path(__file__).resolve().parents[1] / "spark_jobs"
APPLICATION = str(SPARK_JOBS / "load_raw.py")
DRIVER_JAVA_OPTIONS = (
    f"-Dlog4j2.configurationFile=file:{SPARK_JOBS / 'log4j2.properties'} -Duser.timezone=UTC"
)
PLAN = "{{ ti.xcom_pull(task_ids='plan') }}"


@dag(
    dag_id="load_iceberg",
    schedule=STAGING_BATCH["github"] | STAGING_BATCH["pypi"],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={
        "owner": "osspulse",
        "retries": 2,
        "retry_delay": timedelta(minutes=1),
        "retry_exponential_backoff": True,
    },
    tags=["osspulse", "load", "spark", "iceberg"],
    doc_md=__doc__,
    render_template_as_native_obj=True,
    params={
        "start": Param(None, type=["null", "string"], format="date", description="first load date"),
        "end": Param(None, type=["null", "string"], format="date", description="end load date (exclusive)"),
        "entities": Param([], type="array", items={"type": "string"}, description="empty = all"),
    },
)
def load_iceberg():
    @task
    def plan(**context) -> dict:
        from osspulse.orchestration.tasks import plan_load

        return plan_load(context)

    @task.branch
    def choose(load_plan: dict) -> list[str]:
        return [f"load_{name}" for name in load_plan["entities"]]

    @task(outlets=[RAW_BATCH], trigger_rule="none_failed_min_one_success", retries=0)
    def publish_batch(load_plan: dict, *, outlet_events=None) -> None:
        from osspulse.orchestration.tasks import raw_batch_extra

        outlet_events[RAW_BATCH].extra = raw_batch_extra(load_plan)

    load_plan = plan()
    branches = choose(load_plan)
    loads = [
        SparkSubmitOperator(
            task_id=f"load_{e.name}",
            conn_id="osspulse_spark",
            application=APPLICATION,
            name=f"load_raw_{e.name}",
            jars="{{ ti.xcom_pull(task_ids='plan')['jars'] }}",
            conf={
                "spark.driver.memory": "{{ ti.xcom_pull(task_ids='plan')['driver_memory'] }}",
                "spark.driver.extraJavaOptions": DRIVER_JAVA_OPTIONS,
                "spark.ui.enabled": "false",
                "spark.ui.showConsoleProgress": "false",
            },
            pool="spark",
            application_args=[
                "--entity",
                e.name,
                "--start",
                "{{ ti.xcom_pull(task_ids='plan')['start'] }}",
                "--end",
                "{{ ti.xcom_pull(task_ids='plan')['end'] }}",
            ],  # fmt: skip
            outlets=[RAW[e.name]],
            doc_md=f"Load staging.{e.name} into lake.raw.{e.name} for the planned window. {e.description}",
        )
        for e in ENTITIES
    ]
    branches >> loads
    loads >> publish_batch(load_plan)


load_iceberg()
