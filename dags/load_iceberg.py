"""
### load_iceberg

Staging (Postgres) -> `lake.raw.<entity>` (Iceberg on MinIO, partitioned by `load_date`): one Spark
application (`spark_jobs/load_raw.py`) for every entity of the batch, so the JVM starts once per run.
Each entity's load replaces exactly the rows of its load-date window, so reruns and overlapping windows
never duplicate; it writes an audit row to `lake.ops.load_audit` and unparseable payloads to
`lake.ops.load_rejects`. The application loads every entity even when one fails, then fails naming each.

* Scheduled on the `staging` batch asset that `ingest` publishes; `plan` turns the triggering events
  into the entities and the window (their load dates; batches that queued up while a load ran are
  loaded together).
* Manual runs: `{"start": "2026-11-01", "end": "2026-11-08", "entities": ["github_commits"]}`
  (empty entities = all). Backfills of past days work the same way.
* Publishes `lake.raw.<entity>` and `lake.raw`, which schedules `transform_dbt`. Spark runs in local mode
  natively, on the standalone cluster in Docker Compose (the `osspulse_spark` connection).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pendulum
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
from airflow.sdk import Param, dag, task

from osspulse.orchestration.assets import RAW, RAW_BATCH, STAGING_BATCH
from osspulse.orchestration.dag_ids import LOAD

SPARK_JOBS = Path(__file__).resolve().parents[1] / "spark_jobs"
APPLICATION = str(SPARK_JOBS / "load_raw.py")
DRIVER_JAVA_OPTIONS = (
    f"-Dlog4j2.configurationFile=file:{SPARK_JOBS / 'log4j2.properties'} -Duser.timezone=UTC"
)
PLAN = "ti.xcom_pull(task_ids='plan')"


@dag(
    dag_id=LOAD,
    schedule=STAGING_BATCH,
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

    @task(outlets=[RAW_BATCH], retries=0)
    def publish_batch(load_plan: dict, *, outlet_events=None) -> None:
        from osspulse.orchestration.tasks import raw_batch_extra

        outlet_events[RAW_BATCH].extra = raw_batch_extra(load_plan)

    load_plan = plan()
    load_raw = SparkSubmitOperator(
        task_id="load_raw",
        conn_id="osspulse_spark",
        application=APPLICATION,
        name="load_raw",
        jars="{{ " + PLAN + "['jars'] }}",
        conf={
            "spark.driver.memory": "{{ " + PLAN + "['driver_memory'] }}",
            "spark.driver.extraJavaOptions": DRIVER_JAVA_OPTIONS,
            "spark.ui.enabled": "false",
            "spark.ui.showConsoleProgress": "false",
        },
        pool="spark",
        application_args="{{ ['--start', " + PLAN + "['start'], '--end', " + PLAN + "['end'], "
        "'--entity'] + " + PLAN + "['entities'] }}",
        outlets=list(RAW.values()),
        doc_md="Load the planned window of each planned staging table into lake.raw (one Spark application).",
    )
    load_plan >> load_raw >> publish_batch(load_plan)


load_iceberg()
