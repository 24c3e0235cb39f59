"""The Docker Compose deployment (``docker-compose.yml``, ``docker/``), configured by the native renderers.

Inside a container of the app image (``docker/osspulse/Dockerfile``), :func:`get_settings` already is the
container's view of the configuration: compose gives each service the settings of ``.env`` it needs (no
``env_file``) and the addresses and paths that differ inside the compose network (the ``x-settings`` block
of ``docker-compose.yml``: ``OSSPULSE_PG_HOST=postgres``, ``OSSPULSE_TRINO_HOST=trino``...). So every config
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
FAKE_API = "fake-api"
#: Long-running services of the app image, started by ``osspulse compose serve``.
SERVED = (*(f"airflow-{c}" for c in AIRFLOW_COMPONENTS), SPARK_MASTER, SPARK_WORKER, STREAMLIT, FAKE_API)
#: One-shot jobs of the app image, run by ``osspulse compose init``.
INIT_JOBS = ("db", "bucket", "airflow")
#: Where the demo's dataset is mounted (docker/compose.demo.yml), as the simulator serves it.
DEMO_DATA = Path("/var/lib/osspulse/demo-data")

# --- the trinodb/trino image's layout --------------------------------------------------------------------
TRINO_ETC = Path("/etc/trino")
TRINO_PLUGIN_DIR = Path("/usr/lib/trino/plugin")
TRINO_DATA_DIR = Path("/data/trino")
#: the user of the Trino image (docker/trino/Dockerfile): owner of the files config-init renders
TRINO_UID = 1000
#: ``render --out DIR`` writes DIR/<role>/; docker-compose.yml mounts each as a Trino node's /etc/trino.
TRINO_ROLES = ("coordinator", "worker")
#: ``render --out DIR`` also writes DIR/tls/ (osspulse.stack.security): the coordinator's keystore, to be
#: mounted here, and the certificate the clients trust (their OSSPULSE_TRINO_TLS_CA_FILE)
TRINO_TLS_DIR = Path("/etc/trino-tls")
#: where the clients (Airflow's tasks, the dashboard) find the certificate alone: the volume ``trino-ca``
TRINO_CA_FILE = Path("/etc/osspulse-trino-ca/trino-cert.pem")
#: files of a node's /etc/trino only the Trino user may read (the roles' bcrypt hashes)
PRIVATE_FILES = frozenset({"password.db"})

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
            f"x-settings, so run this command in a container of the compose project"
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
    from osspulse.stack.configs import TRINO_RULES

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


def write_tree(root: Path, files: Mapping[str, str], *, private: frozenset[str] = frozenset()) -> None:
    """Write ``files`` under ``root`` (each atomically; world-readable, except the ``private`` ones:
    mode 600) and delete what else is there."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 600 from the start
        with os.fdopen(fd, "w") as out:
            out.write(text)
        if rel not in private:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    for stale in sorted(root.rglob("*"), reverse=True):  # an earlier render's files, e.g. a renamed catalog
        if stale.is_dir():
            if not any(stale.iterdir()):
                stale.rmdir()
        elif stale.relative_to(root).as_posix() not in files:
            stale.unlink()


def render(s: Settings, out: Path) -> list[Path]:
    """Write each role's /etc/trino into ``out/<role>``, the coordinator's TLS files into ``out/tls``.

    ``out/ca`` gets the certificate alone: the clients' volume (their ``OSSPULSE_TRINO_TLS_CA_FILE``),
    without the key. Run as root (the config-init job), it hands every file to the Trino image's user;
    the password file and the keystore stay mode 600.
    """
    from osspulse.stack import security

    check_container_settings(s)
    written = []
    for role in TRINO_ROLES:
        files = trino_etc(s, role)
        write_tree(out / role, files, private=PRIVATE_FILES)
        written += [out / role / rel for rel in files]
    (out / "tls").mkdir(parents=True, exist_ok=True)
    tls = security.ensure_tls(out / "tls", security.trino_tls_hostnames(s, TRINO_COORDINATOR))
    write_tree(out / "ca", {TRINO_CA_FILE.name: tls.certificate.read_text()})
    written += [tls.keystore, tls.certificate, out / "ca" / TRINO_CA_FILE.name]
    if os.geteuid() == 0:
        for path in (out, *sorted(out.rglob("*"))):
            os.chown(path, TRINO_UID, 0)
    return written


# --- long-running services --------------------------------------------------------------------------------


def spark_master_address(s: Settings) -> tuple[str, int]:
    parts = urlsplit(s.spark_master)
    if parts.scheme != "spark" or not parts.hostname:
        raise ComposeError(
            f"OSSPULSE_SPARK_MASTER must be spark://HOST:PORT in the containers, not {s.spark_master}"
        )
    return parts.hostname, parts.port or 7077


def airflow_env(s: Settings, airflow_home: Path, public_url: str | None = None) -> dict[str, str]:
    """The native Airflow environment, with the execution API on the api-server's container.

    ``public_url`` is the api-server's address as a browser on the Docker host sees it (its published
    port); compose passes it as ``AIRFLOW__API__BASE_URL``.
    """
    from osspulse.stack import configs

    return configs.airflow_env(
        s,
        airflow_home=airflow_home,
        api_server_host=AIRFLOW_API_SERVER,
        public_url=public_url or f"http://localhost:{s.airflow_port}",
    )


#: The standalone cluster's properties, for the daemons and for every driver (spark-submit reads
#: ``$SPARK_CONF_DIR/spark-defaults.conf``): every connection authenticated with the shared secret and
#: encrypted (the catalog's credentials travel to the executors inside the tasks), no killing of
#: applications from the web UI, no REST submission server. A file (mode 600) keeps the secret off every
#: command line; the workers hand it to their executors in the environment.
SPARK_CLUSTER_PROPERTIES = {
    "spark.authenticate": "true",
    "spark.network.crypto.enabled": "true",
    "spark.ui.killEnabled": "false",
    "spark.master.rest.enabled": "false",
}
#: environment variables only the scheduler's container (where the tasks run) gets
TASK_ONLY = ("AIRFLOW_CONN_", "OSSPULSE_TRINO_ETL_PASSWORD")
#: the services that run Spark: the daemons, and the scheduler whose tasks run the drivers
SPARK_SERVICES = (SPARK_MASTER, SPARK_WORKER, "airflow-scheduler")


def spark_conf_dir(s: Settings) -> Path:
    return s.state_dir / "spark-conf"


def spark_defaults(s: Settings) -> str:
    """``spark-defaults.conf`` of the cluster (contains the secret: write it with mode 600)."""
    secret = s.spark_auth_secret.get_secret_value()
    if not secret or secret == "change-me":
        raise ComposeError(
            "no Spark authentication secret: set OSSPULSE_SPARK_AUTH_SECRET in .env (make setup writes one); "
            "docker-compose.yml passes it to the Spark master, the workers and the scheduler"
        )
    lines = [f"{key} {value}" for key, value in SPARK_CLUSTER_PROPERTIES.items()]
    return "\n".join([*lines, f"spark.authenticate.secret {secret}", ""])


def write_spark_conf(s: Settings) -> Path:
    directory = spark_conf_dir(s)
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    target = directory / "spark-defaults.conf"
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".spark-defaults.")  # created with mode 600
    with os.fdopen(fd, "w") as out:
        out.write(spark_defaults(s))
    os.replace(tmp, target)
    return target


def service_process(
    s: Settings, service: str, environ: Mapping[str, str]
) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of a long-running service of the app image."""
    from osspulse.stack import services

    # Unlike the native runner, keep OSSPULSE_*: it is how the tasks and the dashboard in this container
    # get the container's addresses and the secrets compose gave this service (there is no .env file).
    base = {**environ, "TZ": "UTC"}
    if service.startswith("airflow-") and service.removeprefix("airflow-") in AIRFLOW_COMPONENTS:
        component = service.removeprefix("airflow-")
        airflow = services.Airflow(s, component=component)
        env = airflow_env(s, airflow.home, environ.get("AIRFLOW__API__BASE_URL"))
        if component != "scheduler":
            # Connections are for tasks, which run in the scheduler's container (LocalExecutor); the other
            # components do not get the credentials they would carry (nor dbt's Trino password).
            env = {k: v for k, v in env.items() if not k.startswith(TASK_ONLY)}
        else:  # the load tasks' drivers join the authenticated cluster
            env["SPARK_CONF_DIR"] = str(spark_conf_dir(s))
        return airflow.command(), {**base, **env}
    if service == STREAMLIT:
        return services.Streamlit(s).command(), base
    if service == FAKE_API:
        data = environ.get("OSSPULSE_FAKE_API_DATA") or str(DEMO_DATA)
        argv = ["osspulse", "fake-api", "serve", "--data", data, "--host", s.bind_host]
        return [*argv, "--port", str(s.fake_api_port)], base
    if service in (SPARK_MASTER, SPARK_WORKER):
        return _spark_daemon(s, service, base)
    raise ComposeError(f"unknown service {service!r}: one of {', '.join(SERVED)}")


def _spark_daemon(s: Settings, service: str, base: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    spark_class = str(Path(sys.executable).parent / "spark-class")
    env = {
        **base,
        "JAVA_HOME": str(s.resolve_spark_java_home()),
        "SPARK_HOME": _pyspark_home(),  # else spark-class asks whichever python3 is first on PATH
        "SPARK_CONF_DIR": str(spark_conf_dir(s)),
        "PYSPARK_PYTHON": sys.executable,
        "SPARK_DAEMON_JAVA_OPTS": "-Duser.timezone=UTC",
    }
    if service == SPARK_MASTER:
        host, port = spark_master_address(s)
        webui = base.get("SPARK_MASTER_WEBUI_PORT", str(SPARK_MASTER_WEBUI_PORT))
        cls = "org.apache.spark.deploy.master.Master"
        return [spark_class, cls, "--host", host, "--port", str(port), "--webui-port", webui], env
    spark_master_address(s)  # validate
    webui = base.get("SPARK_WORKER_WEBUI_PORT", str(SPARK_WORKER_WEBUI_PORT))
    work_dir = base.get("SPARK_WORKER_DIR", str(SPARK_WORK_DIR))
    cls = "org.apache.spark.deploy.worker.Worker"
    return [spark_class, cls, s.spark_master, "--work-dir", work_dir, "--webui-port", webui], env


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
    if service != FAKE_API:  # the simulator talks to no other service
        check_container_settings(s)
    argv, env = service_process(s, service, os.environ)
    if service in SPARK_SERVICES:
        write_spark_conf(s)
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
    if service == FAKE_API:
        ok, _ = services.http_ok(f"http://{s.bind_host}:{s.fake_api_port}/_sim/stats")
        return ok, "serving" if ok else "not answering"
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


def manifest(s: Settings) -> None:
    """The dbt manifest ``transform_dbt`` is rendered from, made at image build time (see the Dockerfile)."""
    from osspulse.transform.dbt import ensure_dbt_manifest

    made = ensure_dbt_manifest(s)
    log.info("dbt manifest %s", "written" if made else "up to date")


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


def _manifest(args: argparse.Namespace) -> int:
    from osspulse.settings import get_settings

    manifest(get_settings())
    return 0


def _pipeline(args: argparse.Namespace) -> int:
    """On the Docker host: one pipeline pass through the compose deployment's Airflow (make compose-demo)."""
    from osspulse import pipeline
    from osspulse.deploy.project import COMPOSE_FILE, DEMO_FILE, ComposeProject, host_settings
    from osspulse.settings import get_settings

    s = host_settings(get_settings(), ComposeProject(files=(COMPOSE_FILE, DEMO_FILE)))
    times = pipeline.run_pipeline(s)
    for table, count in pipeline.check_gold(s).items():
        print(f"  gold.{table:<34} {count:>9,}")
    print(
        f"pipeline through {s.airflow_url}: ingest {times.ingest_s:.0f}s, load {times.load_s:.0f}s, "
        f"transform {times.transform_s:.0f}s (total {times.total_s:.0f}s)"
    )
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

    manifest_cmd = actions.add_parser("manifest", help="write the dbt manifest (image build step)")
    manifest_cmd.set_defaults(func=_manifest)

    pipeline_cmd = actions.add_parser(
        "pipeline", help="on the Docker host: one pipeline pass through the deployment's Airflow"
    )
    pipeline_cmd.set_defaults(func=_pipeline)

    serve_cmd = actions.add_parser("serve", help="run a long-running service of the app image")
    serve_cmd.add_argument("service", choices=SERVED)
    serve_cmd.set_defaults(func=_serve)

    health_cmd = actions.add_parser("health", help="healthcheck of a service of the app image (exit 0/1)")
    health_cmd.add_argument("service", choices=SERVED)
    health_cmd.set_defaults(func=_health)
