"""Configuration files and environments of the services, rendered from :class:`Settings`.

These renderers are shared by the native stack and the Docker Compose deployment (``docker/``), so the
two cannot drift. Secrets are never written to config files: Trino reads them with ``${ENV:...}``,
the other services from their environment.
"""

from __future__ import annotations

import sys
from pathlib import Path

from osspulse.settings import REPO_ROOT, Settings

#: ``node.environment`` of every Trino node (coordinator and workers must agree).
TRINO_ENVIRONMENT = "osspulse"
TRINO_ROLES = ("single", "coordinator", "worker")
#: the nodes' HTTP port inside a container network (internal communication only; never published)
TRINO_INTERNAL_HTTP_PORT = 8080
#: the password file of the coordinator, beside its ``password-authenticator.properties``
TRINO_PASSWORD_FILE = "password.db"
#: Trino's file-based access control rules (native and compose)
TRINO_RULES = Path(__file__).parent / "trino" / "rules.json"


def trino_config_properties(
    s: Settings,
    *,
    data_dir: Path,
    etc_dir: Path,
    plugin_dir: Path,
    role: str = "single",
    coordinator_host: str | None = None,
    container: bool = False,
    tls_dir: Path | None = None,
    internal_http_port: int = TRINO_INTERNAL_HTTP_PORT,
) -> str:
    """``config.properties`` of a Trino node.

    Every node authenticates to the others with the internal shared secret; the coordinator accepts
    clients over HTTPS only, each logging in with its role's password (``password-authenticator``).

    Args:
        s: the settings.
        data_dir: the node's data directory (passed as ``-Dnode.data-dir`` natively).
        etc_dir: the directory holding ``catalog/``, ``access-control.properties`` and
            ``password-authenticator.properties``.
        plugin_dir: the server's plugin directory.
        role: ``single`` (the native stack: one coordinator that also runs tasks), ``coordinator``
            (schedules on the workers only) or ``worker``.
        coordinator_host: the address the nodes reach the coordinator at (default: where the native
            Trino listens).
        container: listen on every interface and let each node advertise the address it detects and
            take its node id from the image (its hostname), so the replicas of a scaled worker service
            differ; the node identity then lives in ``node.properties`` (:func:`trino_node_properties`).
            Nodes then talk to each other over plain HTTP on ``internal_http_port`` inside the
            container network, authenticated by the shared secret (that port refuses client logins),
            and clients reach the coordinator over HTTPS on ``OSSPULSE_TRINO_PORT``. The native single
            node has no HTTP port at all: it talks to itself over HTTPS.
        tls_dir: where the coordinator's keystore and certificate are (:mod:`osspulse.stack.security`;
            default ``etc_dir/tls``).
        internal_http_port: the nodes' HTTP port in a container network.
    """
    from osspulse.settings import reach
    from osspulse.stack import security

    if role not in TRINO_ROLES:
        raise ValueError(f"unknown Trino role {role!r}: one of {', '.join(TRINO_ROLES)}")
    tls = security.tls_files(tls_dir or etc_dir / "tls")
    if role == "worker":
        lines = ["coordinator=false"]
    else:
        lines = ["coordinator=true", f"node-scheduler.include-coordinator={str(role == 'single').lower()}"]
    if container:
        lines += [
            f"http-server.http.port={internal_http_port}",
            f"discovery.uri=http://{coordinator_host or s.trino_host}:{internal_http_port}",
            "node.bind-ip=0.0.0.0",
        ]
    else:
        internal = reach(s.trino_bind_host)
        lines += [
            f"discovery.uri=https://{coordinator_host or internal}:{s.trino_port}",
            f"node.bind-ip={s.trino_bind_host}",
            f"node.internal-address={internal}",
            f"node.environment={TRINO_ENVIRONMENT}",
            "node.id=osspulse-coordinator",
        ]
    lines += security.trino_auth_properties(
        s,
        role=role,
        keystore=None if role == "worker" else tls.keystore,
        truststore=None if container else tls.certificate,
        internal_https=not container,
    )
    lines += [
        f"catalog.config-dir={etc_dir / 'catalog'}",
        f"plugin.dir={plugin_dir}",
        f"query.max-memory={s.trino_query_max_memory}",
        f"query.max-memory-per-node={s.trino_query_max_memory}",
        "http-server.log.enabled=false",
        "access-control.config-files=" + str(etc_dir / "access-control.properties"),
    ]
    if role != "worker":
        authenticator = etc_dir / "password-authenticator.properties"
        lines.append(f"password-authenticator.config-files={authenticator}")
    lines.append("")
    return "\n".join(lines)


def trino_node_properties(*, data_dir: Path) -> str:
    """``node.properties`` of launcher-started nodes (the Docker image); no ``node.id``: each has its own."""
    return f"node.environment={TRINO_ENVIRONMENT}\nnode.data-dir={data_dir}\n"


def trino_access_control_properties(rules_file: Path) -> str:
    """File-based access control with the rules of ``osspulse/stack/trino/rules.json``."""
    return f"access-control.name=file\nsecurity.config-file={rules_file}\nsecurity.refresh-period=10s\n"


def trino_jvm_options(s: Settings) -> list[str]:
    return [
        "-server",
        f"-Xmx{s.trino_heap}",
        "-XX:+UseG1GC",
        "-XX:G1HeapRegionSize=32M",
        "-XX:+ExplicitGCInvokesConcurrent",
        "-XX:+ExitOnOutOfMemoryError",
        "-XX:ReservedCodeCacheSize=256M",
        "-XX:PerMethodRecompilationCutoff=10000",
        "-XX:PerBytecodeRecompilationCutoff=10000",
        "-Djdk.attach.allowAttachSelf=true",
        "-Djdk.nio.maxCachedBufferSize=2000000",
        "-XX:+EnableDynamicAgentLoading",
        "-Dfile.encoding=UTF-8",
        "-Duser.timezone=UTC",
    ]


def trino_lake_catalog(s: Settings) -> str:
    """Iceberg connector on the shared JDBC catalog; the catalog-name must match Spark's and PyIceberg's."""
    return "\n".join(
        [
            "connector.name=iceberg",
            "iceberg.catalog.type=jdbc",
            f"iceberg.jdbc-catalog.catalog-name={s.catalog_name}",
            "iceberg.jdbc-catalog.driver-class=org.postgresql.Driver",
            f"iceberg.jdbc-catalog.connection-url={s.pg_jdbc_url(s.pg_catalog_db)}",
            "iceberg.jdbc-catalog.connection-user=${ENV:OSSPULSE_PG_USER}",
            "iceberg.jdbc-catalog.connection-password=${ENV:OSSPULSE_PG_PASSWORD}",
            f"iceberg.jdbc-catalog.default-warehouse-dir={s.warehouse.rstrip('/')}",
            "iceberg.format-version=2",
            "iceberg.unique-table-location=true",
            "fs.native-s3.enabled=true",
            f"s3.endpoint={s.s3_endpoint_url}",
            f"s3.region={s.s3_region}",
            "s3.path-style-access=true",
            "s3.aws-access-key=${ENV:OSSPULSE_S3_ACCESS_KEY}",
            "s3.aws-secret-key=${ENV:OSSPULSE_S3_SECRET_KEY}",
            "",
        ]
    )


def trino_staging_catalog(s: Settings) -> str:
    """PostgreSQL connector on staging, as the read-only role (analysts read raw API payloads)."""
    return "\n".join(
        [
            "connector.name=postgresql",
            f"connection-url={s.pg_jdbc_url(s.pg_staging_db)}",
            "connection-user=${ENV:OSSPULSE_PG_READER_USER}",
            "connection-password=${ENV:OSSPULSE_PG_READER_PASSWORD}",
            "",
        ]
    )


def trino_secret_env(s: Settings) -> dict[str, str]:
    """The environment every Trino node resolves its ``${ENV:...}`` references from."""
    return {
        "OSSPULSE_TRINO_SHARED_SECRET": s.trino_shared_secret.get_secret_value(),
        "OSSPULSE_PG_USER": s.pg_user,
        "OSSPULSE_PG_PASSWORD": s.pg_password.get_secret_value(),
        "OSSPULSE_PG_READER_USER": s.pg_reader_user,
        "OSSPULSE_PG_READER_PASSWORD": s.pg_reader_password.get_secret_value(),
        "OSSPULSE_S3_ACCESS_KEY": s.s3_access_key.get_secret_value(),
        "OSSPULSE_S3_SECRET_KEY": s.s3_secret_key.get_secret_value(),
    }


def airflow_env(
    s: Settings, *, airflow_home: Path, api_server_host: str | None = None, public_url: str | None = None
) -> dict[str, str]:
    """``AIRFLOW__*`` configuration and ``AIRFLOW_CONN_*`` connections for every Airflow process.

    Args:
        s: the settings.
        airflow_home: ``AIRFLOW_HOME`` (logs, plugins, the SimpleAuthManager passwords file).
        api_server_host: where the other components reach the api-server's execution API (default
            ``s.bind_host``: on one machine, where it listens).
        public_url: the api-server's address as a browser sees it (default ``s.airflow_url``).
    """
    from urllib.parse import quote

    pg_user = quote(s.pg_user, safe="")
    pg_password = quote(s.pg_password.get_secret_value(), safe="")
    trino_user = quote(s.trino_etl_user, safe="")
    trino_password = quote(s.trino_etl_password.get_secret_value(), safe="")
    s3_key = quote(s.s3_access_key.get_secret_value(), safe="")
    s3_secret = quote(s.s3_secret_key.get_secret_value(), safe="")
    api = f"http://{api_server_host}:{s.airflow_port}" if api_server_host else s.airflow_url
    env = {
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(airflow_home / "plugins"),
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": str(s.airflow_parallelism),
        "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": str(s.airflow_parallelism),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": "utc",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{api}/execution/",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{s.airflow_admin_user}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(airflow_home / "passwords.json"),
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "60",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": (
            f"postgresql+psycopg2://{pg_user}:{pg_password}@{s.pg_host}:{s.pg_port}/{s.pg_airflow_db}"
        ),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_POOL_SIZE": "3",
        "AIRFLOW__API__BASE_URL": public_url or s.airflow_url,
        "AIRFLOW__API__HOST": s.airflow_bind_host,
        "AIRFLOW__API__PORT": str(s.airflow_port),
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__API__EXPOSE_CONFIG": "False",
        "AIRFLOW__API_AUTH__JWT_SECRET": s.airflow_jwt_secret.get_secret_value(),
        "AIRFLOW__API_AUTH__JWT_EXPIRATION_TIME": "86400",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(airflow_home / "logs"),
        # task logs readable by the stack's user only (Airflow's defaults are 775 and 664)
        "AIRFLOW__LOGGING__FILE_TASK_HANDLER_NEW_FOLDER_PERMISSIONS": "0o700",
        "AIRFLOW__LOGGING__FILE_TASK_HANDLER_NEW_FILE_PERMISSIONS": "0o600",
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(s.airflow_worker_log_port),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(s.airflow_trigger_log_port),
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        # a task whose process died with a restarted scheduler is failed (and retried) after 2 minutes
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "120",
        "AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL": "30",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "60",
        "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
        "AIRFLOW__CORE__HOSTNAME_CALLABLE": "osspulse.stack.configs.loopback_hostname",
        "AIRFLOW__API__SECRET_KEY": s.airflow_api_secret_key.get_secret_value(),
        "AIRFLOW__CORE__FERNET_KEY": airflow_fernet_keys(s, airflow_home),
        "AIRFLOW__COSMOS__ENABLE_CACHE": "True",
        # no usage metrics leave the machine (cosmos would call scarf.sh after every task)
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "AIRFLOW__USAGE_DATA_COLLECTION__ENABLED": "False",
        "DO_NOT_TRACK": "1",
        "SCARF_ANALYTICS": "false",
        # Connections (tasks read credentials from these, never from code)
        "AIRFLOW_CONN_OSSPULSE_STAGING": (
            f"postgres://{pg_user}:{pg_password}@{s.pg_host}:{s.pg_port}/{s.pg_staging_db}"
        ),
        "AIRFLOW_CONN_OSSPULSE_TRINO": (
            f"trino://{trino_user}:{trino_password}@{s.trino_host}:{s.trino_port}/{s.catalog_name}"
            f"?protocol=https&verify={quote(str(s.trino_ca_path), safe='')}"
        ),
        "AIRFLOW_CONN_OSSPULSE_SPARK": _spark_conn(s),
        "AIRFLOW_CONN_OSSPULSE_S3": (
            f"aws://{s3_key}:{s3_secret}@/?endpoint_url={quote(s.s3_endpoint_url, safe='')}"
            f"&region_name={s.s3_region}"
        ),
        # dbt's profile logs in as etl with this (the dbt_build task's dbt inherits it)
        "OSSPULSE_TRINO_ETL_PASSWORD": s.trino_etl_password.get_secret_value(),
        "PYTHONPATH": str(REPO_ROOT),
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "JAVA_HOME": str(s.resolve_spark_java_home()),
        "SPARK_LOCAL_IP": s.bind_host,
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
    }
    if s.github_token.get_secret_value():
        token = quote(s.github_token.get_secret_value(), safe="")
        env["AIRFLOW_CONN_GITHUB_API"] = f"http://:{token}@{_hostport(s.github_api_url)}"
    env.update(alert_connections(s))
    return env


def alert_connections(s: Settings) -> dict[str, str]:
    """``AIRFLOW_CONN_OSSPULSE_SMTP`` and ``AIRFLOW_CONN_OSSPULSE_WEBHOOK``: where alerts are delivered.

    JSON connections (typed extras: the SMTP provider reads ``disable_ssl``/``disable_tls`` as booleans).
    Unset SMTP server or webhook URL = the stack's local alert sink. The webhook URL is the connection's
    password, so Airflow masks it in task logs; one attempt per task try (Airflow retries the task).
    """
    import json

    if s.smtp_host:
        smtp = {
            "conn_type": "smtp",
            "host": s.smtp_host,
            "port": s.smtp_port,
            "login": s.smtp_user,
            "password": s.smtp_password.get_secret_value(),
            "extra": {"disable_ssl": not s.smtp_ssl, "disable_tls": not s.smtp_starttls},
        }
    else:
        smtp = {
            "conn_type": "smtp",
            "host": s.bind_host,
            "port": s.alert_sink_smtp_port,
            "extra": {"disable_ssl": True, "disable_tls": True},
        }
    smtp["extra"].update({"from_email": s.alerts_mail_from, "timeout": 30, "retry_limit": 0})
    webhook = s.alerts_webhook_url.get_secret_value() or f"{s.alert_sink_url}/webhook"
    return {
        "AIRFLOW_CONN_OSSPULSE_SMTP": json.dumps(smtp),
        "AIRFLOW_CONN_OSSPULSE_WEBHOOK": json.dumps(
            {"conn_type": "http", "password": webhook, "description": "alert webhook (Slack-compatible)"}
        ),
    }


#: ``<AIRFLOW_HOME>/config/airflow_local_settings.py``: Airflow imports it in every component
AIRFLOW_LOCAL_SETTINGS = """\
# Written by `osspulse stack up`; see osspulse/orchestration/preload.py.
try:
    from osspulse.orchestration.preload import preload

    preload()
except Exception:  # never stop an Airflow component for an optimisation
    pass
"""


def airflow_pools(s: Settings) -> dict[str, dict[str, object]]:
    """The Airflow pools the DAGs use, in the format of ``airflow pools import`` (native and Docker)."""
    described = {
        "github_api": ("concurrent GitHub REST API ingest tasks", s.airflow_api_pool_slots),
        "pypi_api": ("concurrent pypistats.org and PyPI JSON ingest tasks", s.airflow_api_pool_slots),
        "spark": ("concurrent Spark jobs (each a JVM)", s.spark_concurrency),
    }
    return {
        name: {"slots": slots, "description": description, "include_deferred": False}
        for name, (description, slots) in described.items()
    }


def _hostport(url: str) -> str:
    return url.split("://", 1)[-1].rstrip("/")


def _spark_conn(s: Settings) -> str:
    master = s.spark_master
    if master.startswith("local"):
        return f"spark://{master.replace('[', '%5B').replace(']', '%5D')}?deploy-mode=client"
    return f"{master}?deploy-mode=client"


def fernet_keys(s: Settings) -> list[str]:
    """The Fernet keys of ``OSSPULSE_AIRFLOW_FERNET_KEY``: the first encrypts, the others only decrypt."""
    return [k.strip() for k in s.airflow_fernet_key.get_secret_value().split(",") if k.strip()]


def fernet_rotation_stamp(s: Settings, airflow_home: Path) -> Path:
    """Written once ``airflow rotate-fernet-key`` re-encrypted everything with the first key of this list."""
    import hashlib

    digest = hashlib.sha256(",".join(fernet_keys(s)).encode()).hexdigest()[:16]
    return airflow_home / f".fernet-rotated-{digest}"


def airflow_fernet_keys(s: Settings, airflow_home: Path) -> str:
    """``AIRFLOW__CORE__FERNET_KEY``: every listed key until a rotation re-encrypted the data, then the first.

    ``make setup`` gives an existing installation a new random key followed by the key older versions
    derived from the Postgres password, so connections, variables and triggers stored with it stay
    readable; ``osspulse stack up`` then runs ``airflow rotate-fernet-key`` (see ``Airflow.migrate``).
    """
    keys = fernet_keys(s)
    if len(keys) > 1 and fernet_rotation_stamp(s, airflow_home).exists():
        return keys[0]
    return ",".join(keys)


def loopback_hostname() -> str:
    """Airflow's hostname callable: task logs are served and fetched on the loopback address."""
    return "127.0.0.1"
