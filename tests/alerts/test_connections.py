"""The Airflow connections of alert delivery, generated from .env (osspulse.stack.configs)."""

from __future__ import annotations

import json

from pydantic import SecretStr

from osspulse.settings import Settings
from osspulse.stack.configs import alert_connections


def test_without_a_server_or_webhook_alerts_go_to_the_local_alert_sink() -> None:
    s = Settings.model_construct(
        bind_host="127.0.0.1", alert_sink_smtp_port=18025, alert_sink_http_port=18026
    )
    conns = alert_connections(s)
    smtp = json.loads(conns["AIRFLOW_CONN_OSSPULSE_SMTP"])
    assert (smtp["conn_type"], smtp["host"], smtp["port"]) == ("smtp", "127.0.0.1", 18025)
    assert smtp["extra"]["disable_tls"] is True and smtp["extra"]["disable_ssl"] is True
    assert smtp["extra"]["from_email"] == s.alerts_mail_from
    webhook = json.loads(conns["AIRFLOW_CONN_OSSPULSE_WEBHOOK"])
    assert webhook["password"] == "http://127.0.0.1:18026/webhook"
    assert s.uses_alert_sink


def test_a_real_smtp_server_and_webhook_with_their_secrets_in_the_connections_only() -> None:
    s = Settings.model_construct(
        smtp_host="smtp.example.org",
        smtp_port=465,
        smtp_user="alerts",
        smtp_password=SecretStr("smtp-pass-123"),
        smtp_ssl=True,
        smtp_starttls=False,
        alerts_webhook_url=SecretStr("https://hooks.slack.com/services/T0/B0/xyz"),
    )
    conns = alert_connections(s)
    smtp = json.loads(conns["AIRFLOW_CONN_OSSPULSE_SMTP"])
    assert (smtp["host"], smtp["port"], smtp["login"], smtp["password"]) == (
        "smtp.example.org",
        465,
        "alerts",
        "smtp-pass-123",
    )
    assert smtp["extra"]["disable_ssl"] is False and smtp["extra"]["disable_tls"] is True
    assert (
        json.loads(conns["AIRFLOW_CONN_OSSPULSE_WEBHOOK"])["password"]
        == "https://hooks.slack.com/services/T0/B0/xyz"
    )
    assert not s.uses_alert_sink
    assert "smtp-pass-123" not in repr(s) and "xyz" not in repr(s.alerts_webhook_url)  # SecretStr
