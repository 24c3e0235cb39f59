"""Delivering alert events and the weekly digest (run by the ``deliver_alerts`` and ``alert_digest``
DAGs, or ``osspulse alerts deliver|digest``).

What to send comes from the lakehouse: gold.alert_events (what dbt found) minus the delivery ledger
``lake.ops.alert_deliveries`` (what was sent, per recipient). A recipient's message is sent with
Airflow's notifier mechanism (the SMTP provider's :class:`SmtpNotifier`, or :class:`WebhookNotifier`
for a Slack-compatible webhook) and recorded in the ledger only once the send succeeded, so:

* nothing is sent when nothing is new; an event reaches each recipient once;
* a failed send leaves its events pending: the task fails (Airflow retries it with backoff) and any
  later run sends them -- never lost. (A crash between a send and its record could send it twice:
  at-least-once, never zero.)

Secrets stay in Airflow connections (``osspulse_smtp``, ``osspulse_webhook``, from ``.env``); an error
never quotes a webhook URL.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from airflow.sdk import BaseNotifier

from osspulse.alerts.messages import Event, digest, events_email, events_webhook
from osspulse.alerts.rules import SMTP_CONN, AlertConfig, Recipient
from osspulse.settings import Settings

log = logging.getLogger(__name__)

#: events first seen this long ago are no longer sent (a recipient added today does not get old news)
LOOKBACK = timedelta(days=14)
EVENT_COLUMNS = tuple(Event.__dataclass_fields__)


class DeliveryError(RuntimeError):
    """One or more recipients could not be reached; their messages stay pending (retried later)."""


class WebhookNotifier(BaseNotifier):
    """POST a Slack-compatible JSON payload to the URL an Airflow connection holds (its password, or
    its host when the password is empty). Raises :class:`DeliveryError` on any failure, without the URL."""

    def __init__(self, payload: Mapping[str, Any], webhook_conn_id: str, timeout: float = 30.0) -> None:
        super().__init__()
        self.payload = dict(payload)
        self.webhook_conn_id = webhook_conn_id
        self.timeout = timeout

    def notify(self, context: Any) -> None:
        import requests
        from airflow.sdk import BaseHook

        conn = BaseHook.get_connection(self.webhook_conn_id)
        url = conn.password or conn.host or ""
        if not url.startswith(("http://", "https://")):
            raise DeliveryError(
                f"the connection {self.webhook_conn_id} holds no http(s) URL: set OSSPULSE_ALERTS_WEBHOOK_URL"
            )
        try:
            response = requests.post(url, json=self.payload, timeout=self.timeout)
        except requests.RequestException as exc:  # its message names the URL: a secret
            raise DeliveryError(f"webhook {self.webhook_conn_id}: {type(exc).__name__}") from None
        if response.status_code >= 300:
            raise DeliveryError(f"webhook {self.webhook_conn_id} answered HTTP {response.status_code}")


def send(recipient: Recipient, subject: str, html: str, payload: Mapping[str, Any]) -> None:
    """Send one message to a recipient through its channel's notifier (raises on failure)."""
    if recipient.webhook_conn_id:
        WebhookNotifier(payload, recipient.webhook_conn_id).notify({})
        return
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    SmtpNotifier(
        to=list(recipient.emails), subject=subject, html_content=html, smtp_conn_id=SMTP_CONN
    ).notify({})


def plan(
    config: AlertConfig, events: Iterable[Event], delivered: set[tuple[str, str]]
) -> dict[str, list[Event]]:
    """Per recipient, the events of its rules not yet delivered to it (oldest first). Pure."""
    pending: dict[str, list[Event]] = {}
    for event in sorted(events, key=lambda e: (e.first_seen, e.event_id)):
        for name in config.recipients_of(event.rule):
            if (name, event.event_id) not in delivered:
                pending.setdefault(name, []).append(event)
    return pending


@dataclass
class DeliveryReport:
    sent: dict[str, int] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)

    def raise_for_failures(self) -> None:
        if self.failed:
            problems = "; ".join(f"{name}: {why}" for name, why in self.failed.items())
            raise DeliveryError(
                f"alert delivery failed for {problems}. Their messages stay pending and are sent by the "
                "task's retries or the next run; check the connection (osspulse_smtp / osspulse_webhook)."
            )


def _query(s: Settings, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    from osspulse.lake.trino import trino_connection

    with trino_connection(s) as conn:
        cur = conn.cursor()
        cur.execute(sql, list(params))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def read_events(s: Settings, since: datetime, until: datetime | None = None) -> list[Event]:
    until_clause = "and first_seen < ?" if until else ""
    rows = _query(
        s,
        f"select {', '.join(EVENT_COLUMNS)} from {s.catalog_name}.gold.alert_events "  # noqa: S608
        f"where first_seen >= ? {until_clause}",
        [since, until] if until else [since],
    )
    return [Event.from_row(r) for r in rows]


def read_delivered(s: Settings, message: str) -> list[dict[str, Any]]:
    """The ledger's rows of ``message`` (event | digest); creates the ledger table if a stack started
    before it existed lacks it."""
    from osspulse.lake import ops
    from osspulse.lake.catalog import load_catalog

    ops.ensure_tables(load_catalog(s))
    return _query(
        s,
        f"select recipient, event_id, digest_week from {s.catalog_name}.ops.alert_deliveries "  # noqa: S608
        "where message = ?",
        [message],
    )


def record(s: Settings, rows: list[dict[str, Any]]) -> None:
    from osspulse.lake import ops

    ops.append_rows(s, ops.ALERT_DELIVERIES, rows)


def deliver_events(
    s: Settings,
    config: AlertConfig,
    run_id: str,
    *,
    now: datetime | None = None,
    events: Sequence[Event] | None = None,
) -> DeliveryReport:
    """Send every recipient the events not yet delivered to it; record each success. ``events``: these
    instead of gold's events of the last ``LOOKBACK`` (tests)."""
    now = now or datetime.now(UTC)
    report = DeliveryReport()
    if not config.recipients or not config.rules:
        log.info("no alert recipients or rules (%s): nothing to deliver", config.source)
        return report
    delivered = {(r["recipient"], r["event_id"]) for r in read_delivered(s, "event")}
    if events is None:
        events = read_events(s, now - LOOKBACK)
    pending = plan(config, events, delivered)
    if not pending:
        log.info("no new alert events: nothing sent")
    for name, events in pending.items():
        recipient = config.recipients[name]
        subject, html = events_email(events, s.alerts_dashboard_link)
        try:
            send(recipient, subject, html, events_webhook(events, s.alerts_dashboard_link))
        except Exception as exc:  # noqa: BLE001 - one recipient's failure must not stop the others
            report.failed[name] = (
                str(exc) if isinstance(exc, DeliveryError) else f"{type(exc).__name__}: {exc}"
            )
            log.warning("alert delivery to %s (%s) failed: %s", name, recipient.channel, report.failed[name])
            continue
        stamp = datetime.now(UTC)
        record(
            s,
            [
                {
                    "recipient": name,
                    "channel": recipient.channel,
                    "message": "event",
                    "event_id": e.event_id,
                    "delivered_at": stamp,
                    "run_id": run_id,
                }  # fmt: skip
                for e in events
            ],
        )
        report.sent[name] = len(events)
        log.info("sent %d alert event(s) to %s (%s)", len(events), name, recipient.channel)
    return report


def digest_week(moment: datetime | date) -> date:
    """The Monday of the last complete ISO week before ``moment``."""
    day = moment.date() if isinstance(moment, datetime) else moment
    return day - timedelta(days=day.weekday() + 7)


def deliver_digest(s: Settings, config: AlertConfig, week: date, run_id: str) -> DeliveryReport:
    """Send each recipient (once) the digest of ``week`` (a Monday): its rules' events first seen that
    week and the headline figures of the tracked repositories and packages."""
    report = DeliveryReport()
    if not config.recipients:
        log.info("no alert recipients (%s): no digest", config.source)
        return report
    done = {r["recipient"] for r in read_delivered(s, "digest") if r["digest_week"] == week}
    start = datetime(week.year, week.month, week.day, tzinfo=UTC)
    events = read_events(s, start, start + timedelta(days=7))
    repos = _query(
        s,
        f"select repo, stars, commits_90d, human_active_authors_90d "  # noqa: S608
        f"from {s.catalog_name}.gold.repo_headlines order by repo",
    )
    packages = _query(
        s,
        f"select package, downloads_30d, downloads_30d_pct_change "  # noqa: S608
        f"from {s.catalog_name}.gold.package_headlines order by package",
    )
    for name, recipient in config.recipients.items():
        if name in done:
            continue
        rules = set(config.rules_for(name))
        mine = sorted((e for e in events if e.rule in rules), key=lambda e: (e.first_seen, e.event_id))
        subject, html, payload = digest(week, mine, repos, packages, s.alerts_dashboard_link)
        try:
            send(recipient, subject, html, payload)
        except Exception as exc:  # noqa: BLE001
            report.failed[name] = (
                str(exc) if isinstance(exc, DeliveryError) else f"{type(exc).__name__}: {exc}"
            )
            continue
        record(
            s,
            [
                {
                    "recipient": name,
                    "channel": recipient.channel,
                    "message": "digest",
                    "digest_week": week,
                    "delivered_at": datetime.now(UTC),
                    "run_id": run_id,
                }
            ],  # fmt: skip
        )
        report.sent[name] = len(mine)
    return report
