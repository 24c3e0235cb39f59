"""Alert messages and their delivery through the notifiers, to a real local SMTP server and webhook
receiver (the alert sink of the demo): what arrives, once; a receiver that is down fails the send
(retried later), never silently."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from osspulse.alerts.delivery import DeliveryError, DeliveryReport, digest_week, plan, send
from osspulse.alerts.messages import Event, digest, events_email, events_webhook, summary
from osspulse.alerts.rules import parse_alerts
from osspulse.tracked import parse_tracked
from osspulse_sim.alert_sink import AlertSink

TRACKED = parse_tracked("repos: [apache/iceberg]\npackages: [pyiceberg]\n")
CONFIG = parse_alerts(
    """\
recipients:
  team: {email: [team@example.org]}
  chat: {webhook: true}
rules:
  - {name: releases, kind: new_release}
  - {name: downloads, kind: downloads_change, threshold_pct: 20, notify: [team]}
""",
    TRACKED,
)
SEEN = datetime(2026, 3, 10, 6, tzinfo=UTC)
RELEASE = Event(
    "releases|apache/iceberg|v1.9.0|2026-03-09", "releases", "new_release", "repository", "apache/iceberg",
    "v1.9.0", date(2026, 3, 9), "day", 1.0, 7.0, "v1.9.0", SEEN,
)  # fmt: skip
DROP = Event(
    "downloads|pyiceberg|2026-03-02|2026-03-02", "downloads", "downloads_change", "package", "pyiceberg",
    "2026-03-02", date(2026, 3, 2), "week", -0.25, 0.2, "drop", SEEN,
)  # fmt: skip
DASHBOARD = "http://dash.example:8501"


@pytest.fixture
def sink(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AlertSink]:
    """The alert sink, and the Airflow connections osspulse_smtp / osspulse_webhook pointing at it
    (as osspulse.stack.configs generates them from .env)."""
    with AlertSink(tmp_path / "inbox") as running:
        smtp = {"conn_type": "smtp", "host": running.host, "port": running.smtp_port,
                "extra": {"disable_ssl": True, "disable_tls": True, "from_email": "alerts@osspulse.test",
                          "timeout": 10, "retry_limit": 0}}  # fmt: skip
        hook = {"conn_type": "http", "password": f"{running.url}/services/T000/B000/secret-token"}
        monkeypatch.setenv("AIRFLOW_CONN_OSSPULSE_SMTP", json.dumps(smtp))
        monkeypatch.setenv("AIRFLOW_CONN_OSSPULSE_WEBHOOK", json.dumps(hook))
        yield running


def test_plan_routes_events_to_their_rules_recipients_and_skips_what_was_delivered() -> None:
    assert plan(CONFIG, [DROP, RELEASE], set()) == {"team": [DROP, RELEASE], "chat": [RELEASE]}
    delivered = {("team", RELEASE.event_id), ("chat", RELEASE.event_id)}
    assert plan(CONFIG, [DROP, RELEASE], delivered) == {"team": [DROP]}  # sent once
    assert plan(CONFIG, [RELEASE], delivered) == {}  # nothing new: nothing to send


def test_messages_say_what_happened_and_link_to_the_charts() -> None:
    subject, html = events_email([RELEASE, DROP], DASHBOARD)
    assert subject == "OSS Pulse: 2 new alerts"
    assert "apache/iceberg released v1.9.0 on 2026-03-09" in html
    assert "pyiceberg: downloads of the week of 2026-03-02 changed -25.0% (threshold 20.0%)" in html
    assert f'href="{DASHBOARD}/repositories"' in html and f'href="{DASHBOARD}/packages"' in html
    text = events_webhook([RELEASE], DASHBOARD)["text"]
    assert text.startswith("*OSS Pulse: 1 new alert*")
    assert "apache/iceberg released v1.9.0" in text and f"<{DASHBOARD}/repositories|chart>" in text
    hostile = Event(**{**RELEASE.__dict__, "event_key": "<script>*x*</script>", "subject": "o/<b>"})
    assert "<script>" not in events_email([hostile], DASHBOARD)[1]
    assert "<script>" not in events_webhook([hostile], DASHBOARD)["text"]


def test_a_condition_that_holds_again_is_a_new_event_and_says_so() -> None:
    stale = Event(
        "fresh|github|||#2", "fresh", "data_stale", "source", "github", "", date(2026, 3, 9), "day", 3.5, 2.0,
        "commits", SEEN,
    )  # fmt: skip
    first = Event(**{**stale.__dict__, "event_id": "fresh|github||"})
    assert (first.episode, stale.episode, RELEASE.episode) == (1, 2, 1)
    assert "again" not in summary(first)
    assert summary(stale) == "github data not loaded for 3.5 days (commits) (again: time 2)"
    rules = "recipients: {team: {email: [t@x.org]}}\nrules: [{name: fresh, kind: data_stale, days: 2}]\n"
    config = parse_alerts(rules, TRACKED)
    # the first episode was delivered; the second is another event, so it is sent
    assert plan(config, [first, stale], {("team", first.event_id)}) == {"team": [stale]}


def test_the_digest_has_the_weeks_events_and_the_headline_figures() -> None:
    repos = [{"repo": "apache/iceberg", "stars": 7001, "commits_90d": 420, "human_active_authors_90d": 61}]
    packages = [{"package": "pyiceberg", "downloads_30d": 1_234_567, "downloads_30d_pct_change": -0.031}]
    subject, html, payload = digest(date(2026, 3, 2), [RELEASE], repos, packages, DASHBOARD)
    assert subject == "OSS Pulse weekly digest, week of 2026-03-02: 1 alert"
    assert "apache/iceberg released v1.9.0" in html and "7,001" in html and "1,234,567" in html
    assert "-3.1%" in html
    md = payload["text"]
    assert "| apache/iceberg | 7,001 | 420 | 61 |" in md and "| pyiceberg | 1,234,567 | -3.1% |" in md
    assert "No alerts this week." in digest(date(2026, 3, 2), [], repos, packages, DASHBOARD)[2]["text"]
    assert digest_week(datetime(2026, 3, 9, 7, tzinfo=UTC)) == date(2026, 3, 2)  # a Monday run
    assert digest_week(date(2026, 3, 15)) == date(2026, 3, 2)  # the Sunday after: still the week before


def test_messages_arrive_by_email_and_webhook(sink: AlertSink) -> None:
    pending = plan(CONFIG, [RELEASE, DROP], set())
    for name, events in pending.items():
        subject, html = events_email(events, DASHBOARD)
        send(CONFIG.recipients[name], subject, html, events_webhook(events, DASHBOARD))
    (mail,) = sink.inbox.mails()
    assert mail["To"] == "team@example.org" and mail["Subject"] == "OSS Pulse: 2 new alerts"
    body = mail.get_body(("html",)).get_content()
    assert "apache/iceberg released v1.9.0" in body and "pyiceberg: downloads" in body
    (hook,) = sink.inbox.webhooks()
    assert hook["body"]["text"].startswith("*OSS Pulse: 1 new alert*")
    assert "apache/iceberg released v1.9.0" in hook["body"]["text"]


def test_a_receiver_that_is_down_fails_the_send_without_naming_its_secret_url(sink: AlertSink) -> None:
    chat = CONFIG.recipients["chat"]
    sink.fail_next(1, status=503)
    with pytest.raises(DeliveryError, match="webhook osspulse_webhook answered HTTP 503") as info:
        send(chat, "s", "h", events_webhook([RELEASE], DASHBOARD))
    assert "secret-token" not in str(info.value)
    assert sink.inbox.webhooks() == []
    send(chat, "s", "h", events_webhook([RELEASE], DASHBOARD))  # the retry: delivered
    assert len(sink.inbox.webhooks()) == 1


def test_an_unreachable_receiver_fails_without_naming_its_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_OSSPULSE_WEBHOOK",
        json.dumps({"conn_type": "http", "password": "http://127.0.0.1:9/services/secret-token"}),
    )
    with pytest.raises(DeliveryError) as info:
        send(CONFIG.recipients["chat"], "s", "h", {"text": "x"})
    assert "secret-token" not in str(info.value) and "ConnectionError" in str(info.value)


def test_a_failed_delivery_report_raises_naming_the_recipients() -> None:
    DeliveryReport(sent={"team": 2}).raise_for_failures()
    with pytest.raises(DeliveryError, match="chat: webhook osspulse_webhook answered HTTP 503"):
        DeliveryReport(failed={"chat": "webhook osspulse_webhook answered HTTP 503"}).raise_for_failures()


def test_the_sink_can_refuse_only_the_posts_that_contain_a_text(tmp_path: Path) -> None:
    import httpx

    with AlertSink(tmp_path / "inbox") as running:
        running.fail_next(1, status=503, containing="new alert")
        assert httpx.post(f"{running.url}/hook", json={"text": "weekly digest"}).status_code == 200
        assert httpx.post(f"{running.url}/hook", json={"text": "3 new alerts"}).status_code == 503
        assert httpx.post(f"{running.url}/hook", json={"text": "3 new alerts"}).status_code == 200
        assert [h["body"]["text"] for h in running.inbox.webhooks()] == ["weekly digest", "3 new alerts"]
