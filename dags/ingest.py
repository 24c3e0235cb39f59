"""
### ingest

Daily: GitHub REST and PyPI (pypistats, PyPI JSON) -> Postgres `staging` for every tracked repository
and package, as one batch. One mapped task per repository (bounded by the `github_api` pool: repository
snapshot, commits, issues and pull requests, comments, reviews, releases) and one per package (bounded by
the `pypi_api` pool: releases, project info, pypistats downloads). Incremental through bookmarks and ETags
kept in `staging._ingest_state`; re-running a day is harmless (upserts).

* A tracked set with only repositories (or only packages) is fine: the other side has nothing to map.
  A tracked set with neither fails `plan` at once, saying so.
* Each mapped task publishes the `staging.<entity>` assets it fed.
* `publish_batch` publishes `staging` once every repository and package is done, with the load date:
  that one event schedules one `load_iceberg` run, which schedules one `transform_dbt` run, per batch.
  `all_ingested` keeps the run red when any repository or package failed while the others' data flows on.
* An unknown repository or package fails its own task at once (no retries) with a readable message.

Trigger with params to ingest other repositories or packages or another load date:
`{"repos": ["owner/name"], "packages": ["name"], "load_date": "2026-11-20"}` (a list given empty means
the tracked set's; `"sources": ["github"]` ingests only one side).
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import Param, dag, task
from airflow.timetables.trigger import CronTriggerTimetable

from osspulse.orchestration.assets import STAGING_BATCH, staging_assets
from osspulse.orchestration.dag_ids import INGEST

DEFAULT_ARGS = {
    "owner": "osspulse",
    "retries": 3,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=15),
}


@dag(
    dag_id=INGEST,
    # Daily at 00:00 UTC. No start_date: turning the DAG on waits for the next midnight instead of
    # running the past one at once (the demo and backfills trigger runs explicitly). Airflow treats
    # run_immediately=False like None (the past run if it is less than 10 % of the interval old: a stack
    # started before 02:24 UTC ran that midnight's ingest beside the demo's); a zero timedelta never does.
    schedule=CronTriggerTimetable("@daily", timezone="UTC", run_immediately=timedelta(0)),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["osspulse", "ingest", "github", "pypi"],
    doc_md=__doc__,
    params={
        "repos": Param(
            [], type="array", items={"type": "string"}, description="owner/name; empty = tracked set"
        ),
        "packages": Param([], type="array", items={"type": "string"}, description="empty = tracked set"),
        "sources": Param(
            ["github", "pypi"],
            type="array",
            items={"type": "string", "enum": ["github", "pypi"]},
            description="which sources to ingest",
        ),
        "load_date": Param(None, type=["null", "string"], format="date", description="default: the run's ds"),
    },
)
def ingest():
    @task
    def plan(**context) -> dict:
        """The load date and the repositories and packages of this batch."""
        from osspulse.orchestration.tasks import plan_ingest

        return plan_ingest(context)

    @task
    def repos_of(batch: dict) -> list[str]:
        return batch["repos"]

    @task
    def packages_of(batch: dict) -> list[str]:
        return batch["packages"]

    @task(pool="github_api", outlets=staging_assets("github"), map_index_template="{{ repo }}")
    def ingest_repo(repo: str, batch: dict) -> dict:
        from datetime import date

        from osspulse.orchestration.tasks import ingest_repo as run

        return run(repo, date.fromisoformat(batch["load_date"]))

    @task(pool="pypi_api", outlets=staging_assets("pypi"), map_index_template="{{ package }}")
    def ingest_package(package: str, batch: dict) -> dict:
        from datetime import date

        from osspulse.orchestration.tasks import ingest_package as run

        return run(package, date.fromisoformat(batch["load_date"]))

    @task(outlets=[STAGING_BATCH], trigger_rule="all_done", retries=0)
    def publish_batch(
        batch: dict, repo_reports: list[dict] | None = None, package_reports: list[dict] | None = None,
        *, outlet_events=None,
    ) -> None:  # fmt: skip
        from osspulse.orchestration.tasks import batch_extra

        reports = [*(repo_reports or []), *(package_reports or [])]
        outlet_events[STAGING_BATCH].extra = batch_extra(batch, reports)

    @task(retries=0, trigger_rule="none_failed")
    def all_ingested() -> None:
        """Runs only when no repository or package failed: keeps the run's state honest."""

    batch = plan()
    repo_reports = ingest_repo.partial(batch=batch).expand(repo=repos_of(batch))
    package_reports = ingest_package.partial(batch=batch).expand(package=packages_of(batch))
    publish_batch(batch, repo_reports, package_reports)
    [repo_reports, package_reports] >> all_ingested()


ingest()
