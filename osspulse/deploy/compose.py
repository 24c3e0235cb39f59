"""The Docker Compose deployment (``docker-compose.yml``, ``docker/``), configured by the native renderers.

Inside a container of the app image (``docker/osspulse/Dockerfile``), :func:`get_settings` already is the
container's view of the configuration: compose passes ``.env`` (``env_file``) and overrides only the
addresses and paths that differ inside the compose network (the ``x-container-env`` block of
``docker-compose.yml``: ``OSSPULSE_PG_HOST=postgres``, ``OSSPULSE_TRINO_HOST=trino``...). So every config
file and environment below comes from the same renderers as the native stack's
(:mod:`osspulse.stack.configs`, :mod:`osspulse.stack.services`, :mod:`osspulse.stack.bootstrap`); this
module adds only what one machine does not have: a Trino coordinator with workers, an Airflow execution
API on another host, a Spark standalone cluster. Each container of the app image runs one command:

    osspulse compose render --out DIR        config-init: /etc/trino of the coordinator and of the workers
    osspulse compose init db|bucket|airflow  one-shot jobs (the native bootstrap; airflow db migrate + pools)
    osspulse compose serve SERVICE           a long-running service, with the native command and environment
    osspulse compose health SERVICE          its Docker healthcheck (the native health probe where one exists)
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from osspulse.settings import Settings
from osspulse.stack.process import StackError

log = logging.getLogger(__name__)

# --- compose services this module names (docker-compose.yml must agree; tests/deploy checks it) ----------
POSTGRES = "postgres"
MINIO = "minio"
TRINO_COORDINATOR = "trino"
TRINO_WORKER = "trino-worker"
AIRFLOW_COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")
AIRFLOW_API_SERVER = "airflow-api-server"
SPARK_MASTER = "spark-master"
SPARK_WORKER = "spark-worker"
STREAMLIT = "streamlit"
#: Long-running services of the app image, started by ``osspulse compose serve``.
SERVED = (*(f"airflow-{c}" for c in AIRFLOW_COMPONENTS), SPARK_MASTER, SPARK_WORKER, STREAMLIT)
#: One-shot jobs of the app image, run by ``osspulse compose init``.
INIT_JOBS = ("db", "bucket", "airflow")

# --- the trinodb/trino image's layout --------------------------------------------------------------------
TRINO_ETC = Path("/etc/trino")
TRINO_PLUGIN_DIR = Path("/usr/lib/trino/plugin")
TRINO_DATA_DIR = Path("/data/trino")
#: ``render --out DIR`` writes DIR/<role>/; docker-compose.yml mounts each as a Trino node's /etc/trino.
TRINO_ROLES = ("coordinator", "worker")
#: ``render --out DIR`` also writes DIR/tls/ (osspulse.stack.security): the coordinator's keystore, to be
#: mounted here, and the certificate the clients trust (their OSSPULSE_TRINO_TLS_CA_FILE)
TRINO_TLS_DIR = Path("/etc/trino-tls")

# --- Spark standalone cluster (same image: Spark is pyspark's, so its version always equals pyspark's) ----
SPARK_MASTER_WEBUI_PORT = 8080
SPARK_WORKER_WEBUI_PORT = 8081
SPARK_WORK_DIR = Path("/tmp/spark-work")  # noqa: S108 - executors' scratch space, gone with the container

_SELF = ("", "127.0.0.1", "localhost", "::1", "0.0.0.0")  # noqa: S104 - addresses that mean "this container"


class ComposeError(StackError):
    """A container was started with settings it cannot work with; the message says what to set."""


def check_container_settings(s: Settings) -> None:
    """Fail clearly when an address still means "this machine" (the native values, not the compose ones)."""
    wrong = []
    if s.pg_host in _SELF:
        wrong.append(f"OSSPULSE_PG_HOST={s.pg_host!r}")
    if s.trino_host in _SELF:
        wrong.append(f"OSSPULSE_TRINO_HOST={s.trino_host!r}")
    if (urlsplit(s.s3_endpoint).hostname or "") in _SELF:
        wrong.append(f"OSSPULSE_S3_ENDPOINT={s.s3_endpoint!r}")
    if not s.spark_master.startswith("spark://"):
        wrong.append(f"OSSPULSE_SPARK_MASTER={s.spark_master!r}")
    if wrong:
        raise ComposeError(
            f"{', '.join(wrong)}: inside the compose network these must name other containers (postgres, "
            f"trino, http://minio:PORT, spark://spark-master:7077); docker-compose.yml sets them in "
            f"x-container-env, so run this command in a container of the compose project"
        )


# --- Trino ------------------------------------------------------------------------------------------------


def trino_etc(
    s: Settings,
    role: str,
    *,
    etc_dir: Path = TRINO_ETC,
    plugin_dir: Path = TRINO_PLUGIN_DIR,
    data_dir: Path = TRINO_DATA_DIR,
    tls_dir: Path = TRINO_TLS_DIR,
) -> dict[str, str]:
    """The files of a Trino node's /etc/trino (relative path -> text) for the trinodb/trino image.

    Secrets stay ``${ENV:...}`` references, resolved by Trino from the container's environment. The
    directories default to the image's layout (other values let the same files run from a tarball).
    """
    from osspulse.stack import configs, security
    from osspulse.stack.services import TRINO_RULES

    if role not in TRINO_ROLES:
        raise ValueError(f"unknown Trino role {role!r}: one of {', '.join(TRINO_ROLES)}")
    logins = {}
    if role == "coordinator":  # the coordinator authenticates clients: the roles' bcrypt hashes
        password_file = etc_dir / configs.TRINO_PASSWORD_FILE
        logins = {
            "password-authenticator.properties": security.trino_password_authenticator_properties(
                password_file
            ),
            configs.TRINO_PASSWORD_FILE: security.trino_password_file(s),
        }
    return {
        **logins,
        "config.properties": configs.trino_config_properties(
            s,
            data_dir=data_dir,
            etc_dir=etc_dir,
            plugin_dir=plugin_dir,
            role=role,
            coordinator_host=s.trino_host,
            container=True,
            tls_dir=tls_dir,
        ),
        "node.properties": configs.trino_node_properties(data_dir=data_dir),
        "jvm.config": "\n".join(configs.trino_jvm_options(s)) + "\n",
        "access-control.properties": configs.trino_access_control_properties(etc_dir / "rules.json"),
        "rules.json": TRINO_RULES.read_text(),
        f"catalog/{s.catalog_name}.properties": configs.trino_lake_catalog(s),
        "catalog/staging.properties": configs.trino_staging_catalog(s),
    }


def write_tree(root: Path, files: Mapping[str, str]) -> None:
    """Write ``files`` under ``root`` (each atomically, world-readable) and delete what else is there."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "w") as out:
            out.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    for stale in sorted(root.rglob("*"), reverse=True):  # an earlier render's files, e.g. a renamed catalog
        if stale.is_dir():
            if not any(stale.iterdir()):
                stale.rmdir()
        elif stale.relative_to(root).as_posix() not in files:
            stale.unlink()


def render(s: Settings, out: Path) -> list[Path]:
    """Write the coordinator's and the workers' /etc/trino into ``out/coordinator`` and ``out/worker``."""
    from osspulse.stack import security

    check_container_settings(s)
    written = []
    for role in TRINO_ROLES:
        files = trino_etc(s, role)
        write_tree(out / role, files)
        written += [out / role / rel for rel in files]
    (out / "tls").mkdir(parents=True, exist_ok=True)
    tls = security.ensure_tls(out / "tls", security.trino_tls_hostnames(s, TRINO_COORDINATOR))
    return [*written, tls.keystore, tls.certificate]


# --- long-running services --------------------------------------------------------------------------------


def spark_master_address(s: Settings) -> tuple[str, int]:
    parts = urlsplit(s.spark_master)
    if parts.scheme != "spark" or not parts.hostname:
        raise ComposeError(
            f"OSSPULSE_SPARK_MASTER must be spark://HOST:PORT in the containers, not {s.spark_master}"
        )
    return parts.hostname, parts.port or 7077


def airflow_env(s: Settings, airflow_home: Path) -> dict[str, str]:
    """The native Airflow environment, with the execution API on the api-server's container.

    The public URL is what a browser on the Docker host uses (the ports are published there).
    """
    from osspulse.stack import configs

    return configs.airflow_env(
        s,
        airflow_home=airflow_home,
        api_server_host=AIRFLOW_API_SERVER,
        public_url=f"http://localhost:{s.airflow_port}",
    )


def service_process(
    s: Settings, service: str, environ: Mapping[str, str]
) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of a long-running service of the app image."""
    from osspulse.stack import services

    # Unlike the native runner, keep OSSPULSE_*: it is how the tasks and the dashboard in this container
    # get the container's addresses (there is no .env file in the image).
    base = {**environ, "TZ": "UTC"}
    if service.startswith("airflow-") and service.removeprefix("airflow-") in AIRFLOW_COMPONENTS:
        airflow = services.Airflow(s, component=service.removeprefix("airflow-"))
        return airflow.command(), {**base, **airflow_env(s, airflow.home)}
    if service == STREAMLIT:
        return services.Streamlit(s).command(), base
    if service in (SPARK_MASTER, SPARK_WORKER):
        spark_class = str(Path(sys.executable).parent / "spark-class")
        env = {
            **base,
            "JAVA_HOME": str(s.resolve_spark_java_home()),
            "SPARK_HOME": _pyspark_home(),  # else spark-class asks whichever python3 is first on PATH
            "PYSPARK_PYTHON": sys.executable,
            "SPARK_DAEMON_JAVA_OPTS": "-Duser.timezone=UTC",
        }
        if service == SPARK_MASTER:
            host, port = spark_master_address(s)
            webui = environ.get("SPARK_MASTER_WEBUI_PORT", str(SPARK_MASTER_WEBUI_PORT))
            cls = "org.apache.spark.deploy.master.Master"
            return [spark_class, cls, "--host", host, "--port", str(port), "--webui-port", webui], env
        spark_master_address(s)  # validate
        webui = environ.get("SPARK_WORKER_WEBUI_PORT", str(SPARK_WORKER_WEBUI_PORT))
        work_dir = environ.get("SPARK_WORKER_DIR", str(SPARK_WORK_DIR))
        cls = "org.apache.spark.deploy.worker.Worker"
        return [spark_class, cls, s.spark_master, "--work-dir", work_dir, "--webui-port", webui], env
    raise ComposeError(f"unknown service {service!r}: one of {', '.join(SERVED)}")


def _pyspark_home() -> str:
    from importlib.util import find_spec

    spec = find_spec("pyspark")
    if spec is None or spec.origin is None:
        raise ComposeError(
            "pyspark is not installed in this Python: the app image installs requirements.lock"
        )
    return str(Path(spec.origin).parent)


def serve(s: Settings, service: str) -> None:
    """Replace this process by ``service``: it becomes the container's main process and gets its signals."""
    check_container_settings(s)
    argv, env = service_process(s, service, os.environ)
    if service.startswith("airflow-"):
        from osspulse.stack import services

        services.Airflow(s, component=service.removeprefix("airflow-")).prepare()
    log.info("starting %s: %s", service, " ".join(argv))
    os.execvpe(argv[0], argv, env)  # noqa: S606 - argv comes from the shared renderers, not from input


# --- health -----------------------------------------------------------------------------------------------


def health(s: Settings, service: str, environ: Mapping[str, str] | None = None) -> tuple[bool, str]:
    """The healthcheck of a service of the app image: (healthy, detail)."""
    from osspulse.stack import services

    environ = os.environ if environ is None else environ
    if service == AIRFLOW_API_SERVER:
        return services.Airflow(s, component="api-server").health()
    if service.startswith("airflow-") and service.removeprefix("airflow-") in AIRFLOW_COMPONENTS:
        # The api-server reports each component's heartbeat: the native check, asked over the network.
        via_api = s.model_copy(update={"airflow_bind_host": AIRFLOW_API_SERVER})
        return services.Airflow(via_api, component=service.removeprefix("airflow-")).health()
    if service == STREAMLIT:
        return services.Streamlit(s).health()
    if service == SPARK_MASTER:
        port = environ.get("SPARK_MASTER_WEBUI_PORT", str(SPARK_MASTER_WEBUI_PORT))
        ok, body = services.http_ok(f"http://127.0.0.1:{port}/json/")
        status = _json_field(body, "status") if ok else body
        return status == "ALIVE", f"master {status}"
    if service == SPARK_WORKER:
        port = environ.get("SPARK_WORKER_WEBUI_PORT", str(SPARK_WORKER_WEBUI_PORT))
        ok, body = services.http_ok(f"http://127.0.0.1:{port}/json/")
        master = _json_field(body, "masterurl") if ok else ""
        return bool(master), f"registered with {master}" if master else f"not registered ({body[:200]})"
    raise ComposeError(f"no healthcheck for {service!r}: one of {', '.join(SERVED)}")


def _json_field(body: str, key: str) -> str:
    try:
        return str(json.loads(body).get(key) or "")
    except (ValueError, AttributeError):
        return ""


# --- one-shot jobs ----------------------------------------------------------------------------------------


def init(s: Settings, job: str) -> None:
    """db: databases, reader role, Iceberg catalog tables; bucket: the S3 bucket; airflow: migrate, pools."""
    check_container_settings(s)
    from osspulse.stack import bootstrap

    if job == "db":
        bootstrap.postgres_databases(s)
        bootstrap.iceberg_catalog(s)
    elif job == "bucket":
        bootstrap.s3_bucket(s)
    elif job == "airflow":
        init_airflow(s)
    else:
        raise ComposeError(f"unknown init job {job!r}: one of {', '.join(INIT_JOBS)}")
    log.info("init %s done", job)


def init_airflow(s: Settings) -> None:
    from osspulse.stack import configs, services

    api = services.Airflow(s, component="api-server")
    api.prepare()  # AIRFLOW_HOME, plugins, the SimpleAuthManager passwords file
    env = {**os.environ, "TZ": "UTC", **airflow_env(s, api.home)}
    airflow = str(Path(sys.executable).parent / "airflow")
    log.info("airflow db migrate")
    subprocess.run([airflow, "db", "migrate"], env=env, check=True)  # noqa: S603
    with tempfile.NamedTemporaryFile("w", suffix=".json") as pools:
        json.dump(configs.airflow_pools(s), pools)
        pools.flush()
        log.info("airflow pools import: %s", ", ".join(configs.airflow_pools(s)))
        subprocess.run([airflow, "pools", "import", pools.name], env=env, check=True)  # noqa: S603


# --- CLI --------------------------------------------------------------------------------------------------


def _render(args: argparse.Namespace) -> int:
    from osspulse.settings import get_settings

    s = get_settings()
    if args.out is None:
        check_container_settings(s)
        for role in TRINO_ROLES:
            for rel, text in trino_etc(s, role).items():
                print(f"# --- {role}/{rel}\n{text}")
        return 0
    for path in render(s, args.out):
        log.info("wrote %s", path)
    return 0


def _init(args: argparse.Namespace) -> int:
    from osspulse.settings import get_settings

    init(get_settings(), args.job)
    return 0


def _serve(args: argparse.Namespace) -> int:
    from osspulse.settings import get_settings

    serve(get_settings(), args.service)
    return 0  # not reached: serve() replaces the process


def _health(args: argparse.Namespace) -> int:
    from osspulse.settings import get_settings

    ok, detail = health(get_settings(), args.service)
    print(f"{args.service}: {'healthy' if ok else 'unhealthy'} ({detail})")
    return 0 if ok else 1


def register(sub: argparse._SubParsersAction) -> None:
    compose = sub.add_parser(
        "compose", help="the Docker Compose deployment: render configs, run one container's service"
    )
    actions = compose.add_subparsers(dest="compose_command", required=True)

    render_cmd = actions.add_parser("render", help="render /etc/trino of the coordinator and of the workers")
    render_cmd.add_argument(
        "--out", type=Path, help="write DIR/coordinator and DIR/worker (default: print the files)"
    )
    render_cmd.set_defaults(func=_render)

    init_cmd = actions.add_parser("init", help="a one-shot job: db, bucket or airflow (idempotent)")
    init_cmd.add_argument("job", choices=INIT_JOBS)
    init_cmd.set_defaults(func=_init)

    serve_cmd = actions.add_parser("serve", help="run a long-running service of the app image")
    serve_cmd.add_argument("service", choices=SERVED)
    serve_cmd.set_defaults(func=_serve)

    health_cmd = actions.add_parser("health", help="healthcheck of a service of the app image (exit 0/1)")
    health_cmd.add_argument("service", choices=SERVED)
    health_cmd.set_defaults(func=_health)
