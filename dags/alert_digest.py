"""
### alert_digest

The weekly digest, Mondays at 07:00 UTC: one message per alert recipient (`alerts.yml`) with the
events first seen in the ISO week that just ended and the headline figures of the tracked
repositories and packages (`repo_headlines`, `package_headlines`), as an HTML e-mail or a Markdown
webhook post. Recorded in `lake.ops.alert_deliveries`: a retry or a rerun sends no recipient the same
week twice. docs/alerts.md.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, get_current_context, task
from airflow.timetables.trigger import CronTriggerTimetable

from osspulse.orchestration.dag_ids import DIGEST


@dag(
    dag_id=DIGEST,
    schedule=CronTriggerTimetable("0 7 * * 1", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={
        "owner": "osspulse",
        "retries": 6,
        "retry_delay": timedelta(minutes=1),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(hours=2),
    },
    tags=["osspulse", "alerts"],
    doc_md=__doc__,
)
def alert_digest():
    @task
    def digest() -> dict[str, int]:
        """Send each recipient the digest of last week (per recipient: its events in it)."""
        from osspulse.orchestration.tasks import deliver_weekly_digest

        context = get_current_context()
        return deliver_weekly_digest(context["dag_run"].run_after, context["run_id"])

    digest()


alert_digest()
