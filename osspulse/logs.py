"""Logging for the CLI and the jobs: UTC timestamps, and secrets masked wherever they would appear."""

from __future__ import annotations

import logging
import sys
import time

from osspulse.settings import Settings, get_settings


class RedactSecrets(logging.Filter):
    """Replace every configured secret value in a log record by ``***``."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s and len(s) >= 4]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        masked = message
        for secret in self._secrets:
            masked = masked.replace(secret, "***")
        if masked != message:
            record.msg, record.args = masked, None
        return True


def secret_values(s: Settings) -> list[str]:
    """Every secret of the installation (the Fernet keys one by one)."""
    return [
        s.pg_password.get_secret_value(),
        s.pg_reader_password.get_secret_value(),
        s.s3_secret_key.get_secret_value(),
        s.airflow_admin_password.get_secret_value(),
        s.github_token.get_secret_value(),
        s.smtp_password.get_secret_value(),
        s.alerts_webhook_url.get_secret_value(),
        s.trino_etl_password.get_secret_value(),
        s.trino_analyst_password.get_secret_value(),
        s.trino_dashboard_password.get_secret_value(),
        s.trino_shared_secret.get_secret_value(),
        *s.airflow_fernet_key.get_secret_value().split(","),
        s.airflow_jwt_secret.get_secret_value(),
        s.airflow_api_secret_key.get_secret_value(),
    ]


def configure(level: int = logging.INFO, settings: Settings | None = None) -> None:
    handler = logging.StreamHandler(sys.stderr)
    formatter = logging.Formatter("%(asctime)sZ %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S")
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    handler.addFilter(RedactSecrets(secret_values(settings or get_settings())))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("botocore", "urllib3", "httpx", "httpcore", "py4j"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
