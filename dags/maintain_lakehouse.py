"""
### maintain_lakehouse

Weekly Iceberg maintenance of every table in `lake.raw`, `lake.bronze`, `lake.silver` and
`lake.gold` (`spark_jobs/maintain_lakehouse.py`): compact small files, rewrite manifests, expire
snapshots older than `OSSPULSE_SNAPSHOT_RETENTION_DAYS` (keeping the last
`OSSPULSE_SNAPSHOT_RETAIN_LAST`), remove orphan files older than `OSSPULSE_ORPHAN_RETENTION_DAYS`.
Time travel works within the snapshot retention.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pendulum
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
from airflow.sdk import dag, task
from airflow.timetables.trigger import CronTriggerTimetable

SPARK_JOBS = Path(__file__).resolve().parents[1] / "spark_jobs"
APPLICATION = str(SPARK_JOBS / "maintain_lakehouse.py")
DRIVER_JAVA_OPTIONS = (
    f"-Dlog4j2.configurationFile=file:{SPARK_JOBS / 'log4j2.properties'} -Duser.timezone=UTC"
)


@dag(
    dag_id="maintain_lakehouse",
    schedule=CronTriggerTimetable("@weekly", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "osspulse", "retries": 1, "retry_delay": timedelta(minutes=10)},
    tags=["osspulse", "maintenance", "iceberg"],
    doc_md=__doc__,
)
def maintain_lakehouse():
    @task
    def spark_settings() -> dict:
        from osspulse.lake.spark import jar_paths
        from osspulse.settings import get_settings

        s = get_settings()
        return {"jars": ",".join(jar_paths(s)), "driver_memory": s.spark_driver_memory}

    conf = spark_settings()
    conf >> SparkSubmitOperator(
        task_id="maintain",
        conn_id="osspulse_spark",
        application=APPLICATION,
        name="maintain_lakehouse",
        jars="{{ ti.xcom_pull(task_ids='spark_settings')['jars'] }}",
        conf={
            "spark.driver.memory": "{{ ti.xcom_pull(task_ids='spark_settings')['driver_memory'] }}",
            "spark.driver.extraJavaOptions": DRIVER_JAVA_OPTIONS,
            "spark.ui.enabled": "false",
        },
        pool="spark",
        application_args=["--namespace", "raw", "bronze", "silver", "gold"],
    )


maintain_lakehouse()
