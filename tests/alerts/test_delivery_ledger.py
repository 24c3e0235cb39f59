"""Against the test stack's lake.ops: the delivery ledger makes an event reach each recipient once, and a
receiver that is down keeps its events pending until a later run delivers them (never lost)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from osspulse.alerts.delivery import DeliveryError, deliver_events, read_delivered
from osspulse.settings import Settings
from osspulse_sim.alert_sink import AlertSink
from tests.alerts.test_delivery import CONFIG, DROP, RELEASE

pytestmark = pytest.mark.integration


@pytest.fixture
def sink(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AlertSink]:
    with AlertSink(tmp_path / "inbox") as running:
        smtp = {"conn_type": "smtp", "host": running.host, "port": running.smtp_port,
                "extra": {"disable_ssl": True, "disable_tls": True, "from_email": "alerts@osspulse.test",
                          "timeout": 10, "retry_limit": 0}}  # fmt: skip
        monkeypatch.setenv("AIRFLOW_CONN_OSSPULSE_SMTP", json.dumps(smtp))
        monkeypatch.setenv(
            "AIRFLOW_CONN_OSSPULSE_WEBHOOK",
            json.dumps({"conn_type": "http", "password": f"{running.url}/hook"}),
        )
        yield running


def test_sent_once_and_a_receiver_that_is_down_gets_it_later(stack: Settings, sink: AlertSink) -> None:
    tag = uuid.uuid4().hex[:8]  # events of this test only (the ledger outlives test sessions)
    release = replace(RELEASE, event_id=f"{RELEASE.event_id}|{tag}")
    drop = replace(DROP, event_id=f"{DROP.event_id}|{tag}")

    first = deliver_events(stack, CONFIG, f"test-{tag}-1", events=[release])
    assert first.sent == {"team": 1, "chat": 1} and not first.failed
    assert len(sink.inbox.mails()) == 1 and len(sink.inbox.webhooks()) == 1

    again = deliver_events(stack, CONFIG, f"test-{tag}-2", events=[release])
    assert again.sent == {} and not again.failed  # nothing new: nothing sent
    assert len(sink.inbox.mails()) == 1 and len(sink.inbox.webhooks()) == 1

    new = replace(RELEASE, event_id=f"{RELEASE.event_id}|{tag}|b", event_key="v2.0.0")
    sink.fail_next(1, status=503)  # the webhook receiver is down for the next post
    down = deliver_events(stack, CONFIG, f"test-{tag}-3", events=[release, drop, new])
    assert down.sent == {"team": 2}  # the e-mail went out: the drop and the new release
    assert down.failed == {"chat": "webhook osspulse_webhook answered HTTP 503"}
    with pytest.raises(DeliveryError, match="chat"):
        down.raise_for_failures()  # the Airflow task fails and is retried
    assert len(sink.inbox.webhooks()) == 1

    retry = deliver_events(stack, CONFIG, f"test-{tag}-4", events=[release, drop, new])
    assert retry.sent == {"chat": 1} and not retry.failed  # the later delivery: only what was pending
    assert len(sink.inbox.mails()) == 2 and len(sink.inbox.webhooks()) == 2
    assert "v2.0.0" in sink.inbox.webhooks()[-1]["body"]["text"]

    ledger = {(r["recipient"], r["event_id"]) for r in read_delivered(stack, "event") if tag in r["event_id"]}
    assert ledger == {
        ("team", release.event_id),
        ("chat", release.event_id),
        ("team", drop.event_id),
        ("team", new.event_id),
        ("chat", new.event_id),
    }
