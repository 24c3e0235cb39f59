"""
### ingest_github

Daily: GitHub REST -> Postgres `staging` for every tracked repository (one mapped task per repo,
bounded by the `github_api` pool): repository snapshot, commits, issues and pull requests, issue
comments, releases. Incremental through `since` bookmarks and ETags kept in `staging._ingest_state`;
re-running a day is harmless (upserts).

* Each mapped task publishes the `staging.<entity>` assets it fed.
* `publish_batch` publishes `staging.github` once every repo is done, with the load date; that event
  schedules `load_iceberg`. `all_ingested` keeps the run red when any repo failed.
* An unknown repo fails its own task at once (no retries) with a readable message; the others continue.

Trigger with params to ingest other repos or another load date: `{"repos": ["owner/name"],
"load_date": "2026-11-20"}`.
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
    dag_id="ingest_github",
    # Daily at 00:00 UTC. No start_date: turning the DAG on waits for the next midnight instead of
    # running the past one at once (the demo and backfills trigger runs explicitly).
    schedule=CronTriggerTimetable("@daily", timezone="UTC", run_immediately=False),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["osspulse", "ingest", "github"],
    doc_md=__doc__,
    params={
        "repos": Param(
            [], type="array", items={"type": "string"}, description="owner/name; empty = tracked set"
        ),
        "load_date": Param(None, type=["null", "string"], format="date", description="default: the run's ds"),
    },
)
def ingest_github():
    @task
    def tracked_repos(params=None) -> list[str]:
        from osspulse.orchestration.tasks import tracked

        return tracked("repos", params.get("repos"))

    @task
    def load_date(**context) -> str:
        from osspulse.orchestration.tasks import load_date_for

        return load_date_for(context).isoformat()

    @task(pool="github_api", outlets=staging_assets("github"), map_index_template="{{ repo }}")
    def ingest_repo(repo: str, day: str) -> dict:
        from datetime import date

        from osspulse.orchestration.tasks import ingest_repo as run

        return run(repo, date.fromisoformat(day))

    @task(outlets=[STAGING_BATCH["github"]], trigger_rule="all_done", retries=0)
    def publish_batch(day: str, reports: list[dict] | None = None, *, outlet_events=None) -> None:
        from datetime import date

        from osspulse.orchestration.tasks import batch_extra

        outlet_events[STAGING_BATCH["github"]].extra = batch_extra("github", date.fromisoformat(day), reports)

    @task(retries=0)
    def all_ingested(reports: list[dict]) -> None:
        """Runs only when every repo succeeded (trigger rule all_success): keeps the run's state honest."""

    day = load_date()
    reports = ingest_repo.partial(day=day).expand(repo=tracked_repos())
    publish_batch(day, reports)
    all_ingested(reports)


ingest_github()
