"""
### deliver_alerts

Sends the alert events dbt found (`lake.gold.alert_events`, rules in `alerts.yml` beside the tracked
set: docs/alerts.md) to their recipients, by e-mail (connection `osspulse_smtp`) and to a
Slack-compatible webhook (`osspulse_webhook`), both generated from `.env`.

* Scheduled on the `lake.gold` asset: runs after every transform whose models and tests all passed
  (alerts on wrong numbers are worse than none).
* Sends only what the delivery ledger `lake.ops.alert_deliveries` does not hold yet, and records each
  message once it is sent: nothing is sent when nothing is new, an event reaches a recipient once.
* A failed send fails the task; Airflow retries it with exponential backoff (30 s, doubling, up to an
  hour, 6 times), and what is still pending goes out with the next run: an event is never lost.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, get_current_context, task

from osspulse.orchestration.assets import GOLD
from osspulse.orchestration.dag_ids import ALERTS


@dag(
    dag_id=ALERTS,
    schedule=GOLD,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={
        "owner": "osspulse",
        "retries": 6,
        "retry_delay": timedelta(seconds=30),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(hours=1),
    },
    tags=["osspulse", "alerts"],
    doc_md=__doc__,
)
def deliver_alerts():
    @task
    def deliver() -> dict[str, int]:
        """Send every recipient its new events (per recipient: what was sent)."""
        from osspulse.orchestration.tasks import deliver_alerts as run

        return run(get_current_context()["run_id"])

    deliver()


deliver_alerts()
