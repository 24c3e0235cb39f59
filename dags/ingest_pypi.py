"""
### ingest_pypi

Daily: pypistats (overall with and without mirrors, python_minor, system) and PyPI JSON (every
release, project info) -> Postgres `staging` for every tracked package (one mapped task per package,
bounded by the `pypi_api` pool; pypistats calls are also rate-limited to 30/min in the client).
pypistats keeps only 180 days: running this daily is what builds the longer history.

* Each mapped task publishes the `staging.<entity>` assets it fed.
* `publish_batch` publishes `staging.pypi` once every package is done; that event schedules
  `load_iceberg`. `all_ingested` keeps the run red when any package failed.
* An unknown package fails its own task at once (no retries) with a readable message.

Trigger with params: `{"packages": ["name"], "load_date": "2026-11-20"}`.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import Param, dag, task
from airflow.timetables.trigger import CronTriggerTimetable

from osspulse.orchestration.assets import STAGING_BATCH, staging_assets

DEFAULT_ARGS = {
    "owner": "osspulse",
    "retries": 3,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=15),
}


@dag(
    dag_id="ingest_pypi",
    # Daily at 00:00 UTC. No start_date: turning the DAG on waits for the next midnight instead of
    # running the past one at once (the demo and backfills trigger runs explicitly).
    schedule=CronTriggerTimetable("@daily", timezone="UTC", run_immediately=False),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["osspulse", "ingest", "pypi"],
    doc_md=__doc__,
    params={
        "packages": Param([], type="array", items={"type": "string"}, description="empty = tracked set"),
        "load_date": Param(None, type=["null", "string"], format="date", description="default: the run's ds"),
    },
)
def ingest_pypi():
    @task
    def tracked_packages(params=None) -> list[str]:
        from osspulse.orchestration.tasks import tracked

        return tracked("packages", params.get("packages"))

    @task
    def load_date(**context) -> str:
        from osspulse.orchestration.tasks import load_date_for

        return load_date_for(context).isoformat()

    @task(pool="pypi_api", outlets=staging_assets("pypi"), map_index_template="{{ package }}")
    def ingest_package(package: str, day: str) -> dict:
        from datetime import date

        from osspulse.orchestration.tasks import ingest_package as run

        return run(package, date.fromisoformat(day))

    @task(outlets=[STAGING_BATCH["pypi"]], trigger_rule="all_done", retries=0)
    def publish_batch(day: str, reports: list[dict] | None = None, *, outlet_events=None) -> None:
        from datetime import date

        from osspulse.orchestration.tasks import batch_extra

        outlet_events[STAGING_BATCH["pypi"]].extra = batch_extra("pypi", date.fromisoformat(day), reports)

    @task(retries=0)
    def all_ingested(reports: list[dict]) -> None:
        """Runs only when every package succeeded (trigger rule all_success): keeps the run's state honest."""

    day = load_date()
    reports = ingest_package.partial(day=day).expand(package=tracked_packages())
    publish_batch(day, reports)
    all_ingested(reports)


ingest_pypi()
