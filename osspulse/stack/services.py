"""The services of the native stack: how each is prepared, started, checked and bootstrapped."""

from __future__ import annotations

import json
import logging
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from osspulse.lake import ops
from osspulse.settings import REPO_ROOT, Settings, env_file, reach
from osspulse.stack import configs, fs, security
from osspulse.stack.process import PidFile, StackError

log = logging.getLogger(__name__)

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def http_ok(url: str, timeout: float = 2.0, *, context: ssl.SSLContext | None = None) -> tuple[bool, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as resp:  # noqa: S310 - local health URLs
            return 200 <= resp.status < 300, resp.read(2000).decode(errors="replace")
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        return False, str(getattr(exc, "reason", exc))


@dataclass
class Service:
    """A long-running local process of the stack."""

    settings: Settings
    name: str = ""
    port_settings: tuple[str, ...] = ()
    stop_signal: signal.Signals = signal.SIGTERM
    stop_timeout: float = 30.0
    run_as: str | None = None
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def state(self) -> Path:
        return self.settings.state_dir

    @property
    def bind_host(self) -> str:
        """Where the service listens: the stores' address unless its exposure has a setting of its own."""
        return self.settings.bind_host

    @property
    def log_file(self) -> Path:
        return self.state / "logs" / f"{self.name}.log"

    @property
    def pid_file(self) -> PidFile:
        return PidFile(self.state / "run" / f"{self.name}.pid")

    @property
    def ports(self) -> dict[str, int]:
        return {f"OSSPULSE_{p.upper()}": getattr(self.settings, p) for p in self.port_settings}

    def command(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "OSSPULSE_"))}
        base.pop("GITHUB_TOKEN", None)  # only the services that call GitHub get it, via connections
        # every process of the stack (Airflow's tasks, the dashboard) reads the settings file the stack
        # was started with (a path, no secret), not whatever .env is at the repository root
        return {**base, "TZ": "UTC", "OSSPULSE_ENV_FILE": str(env_file()), **self.extra_env}

    def prepare(self) -> None:
        """Write config files, initialise data directories (idempotent)."""

    def health(self) -> tuple[bool, str]:
        raise NotImplementedError

    def bootstrap(self) -> None:
        """After the first healthy check of this `up`: create databases, buckets... (idempotent)."""

    def outdated(self) -> str | None:
        """Why the running process no longer matches the settings (then `up` restarts it), or None."""
        return None


# --- PostgreSQL ------------------------------------------------------------------------------------


@dataclass
class Postgres(Service):
    name: str = "postgres"
    port_settings: tuple[str, ...] = ("pg_port",)
    stop_signal: signal.Signals = signal.SIGINT  # "fast" shutdown: roll back, checkpoint, exit

    def __post_init__(self) -> None:
        if os.geteuid() == 0:
            self.run_as = "postgres"  # initdb and postgres refuse to run as root

    @property
    def data_dir(self) -> Path:
        return self.state / "postgres" / "data"

    def command(self) -> list[str]:
        s = self.settings
        return [
            str(PG_BIN / "postgres"),
            "-D", str(self.data_dir),
            "-c", f"listen_addresses={s.bind_host}",
            "-c", f"port={s.pg_port}",
            "-c", f"unix_socket_directories={self.data_dir.parent / 'run'}",
            "-c", f"shared_buffers={s.pg_shared_buffers}",
            "-c", f"max_connections={s.pg_max_connections}",
            "-c", "timezone=UTC",
            "-c", "log_timezone=UTC",
            "-c", "fsync=on",
            "-c", "log_min_duration_statement=5000",
        ]  # fmt: skip

    def _owned_dir(self, path: Path) -> None:
        fs.ensure_dir(path, mode=0o700, owner=self.run_as)

    def prepare(self) -> None:
        if not (PG_BIN / "postgres").exists():
            raise StackError(f"PostgreSQL 15 is not installed ({PG_BIN}): run `make setup`")
        root = self.data_dir.parent
        if self.run_as:
            self._check_reachable(root.parent)
        self._owned_dir(root)
        self._owned_dir(root / "run")
        if (self.data_dir / "PG_VERSION").exists():
            return
        self._owned_dir(self.data_dir)
        pwfile = root / "run" / ".pwfile"
        # mode 600 and its owner from the first byte; an existing name (a symlink) is replaced, not followed
        fs.write_file(
            pwfile, self.settings.pg_password.get_secret_value() + "\n", mode=0o600, owner=self.run_as
        )
        try:
            log.info("initialising PostgreSQL cluster in %s", self.data_dir)
            subprocess.run(  # noqa: S603
                [
                    str(PG_BIN / "initdb"),
                    "-D",
                    str(self.data_dir),
                    "-U",
                    self.settings.pg_user,
                    f"--pwfile={pwfile}",
                    "--auth-host=scram-sha-256",
                    "--auth-local=peer",
                    "-E",
                    "UTF8",
                    "--no-locale",
                    "--data-checksums",
                ],  # fmt: skip
                check=True,
                capture_output=True,
                user=self.run_as,
                group=self.run_as,
                extra_groups=[] if self.run_as else None,
                cwd="/",
            )
        except subprocess.CalledProcessError as exc:
            raise StackError(f"initdb failed: {exc.stderr.decode(errors='replace')[-2000:]}") from exc
        finally:
            pwfile.unlink(missing_ok=True)

    def _check_reachable(self, directory: Path) -> None:
        probe = subprocess.run(  # noqa: S603
            ["/usr/bin/test", "-x", str(directory)], user=self.run_as, group=self.run_as, cwd="/"
        )
        if probe.returncode != 0:
            raise StackError(
                f"the state directory {directory} is not reachable by the '{self.run_as}' user that "
                f"PostgreSQL must run as (root may not): set OSSPULSE_STATE_DIR to a directory whose "
                f"parents are world-traversable (e.g. /var/tmp/osspulse)"
            )

    def health(self) -> tuple[bool, str]:
        s = self.settings
        probe = subprocess.run(  # noqa: S603
            [str(PG_BIN / "pg_isready"), "-h", reach(s.bind_host), "-p", str(s.pg_port), "-t", "2"],
            capture_output=True,
            text=True,
        )
        return probe.returncode == 0, probe.stdout.strip()

    def bootstrap(self) -> None:
        from osspulse.stack import bootstrap

        bootstrap.postgres_databases(self.settings)
        bootstrap.iceberg_catalog(self.settings)


# --- MinIO ----------------------------------------------------------------------------------------


@dataclass
class Minio(Service):
    name: str = "minio"
    port_settings: tuple[str, ...] = ("minio_port", "minio_console_port")

    def command(self) -> list[str]:
        s = self.settings
        if not s.minio_binary.exists():
            raise StackError(f"MinIO is not built ({s.minio_binary}): run `make setup`")
        return [
            str(s.minio_binary), "server", str(self.state / "minio" / "data"),
            "--address", f"{self.bind_host}:{s.minio_port}",
            "--console-address", f"{self.bind_host}:{s.minio_console_port}",
            "--quiet",
        ]  # fmt: skip

    def env(self) -> dict[str, str]:
        s = self.settings
        return {
            **super().env(),
            "MINIO_ROOT_USER": s.s3_access_key.get_secret_value(),
            "MINIO_ROOT_PASSWORD": s.s3_secret_key.get_secret_value(),
            "MINIO_UPDATE": "off",
            "MINIO_BROWSER_REDIRECT": "off",
            "GOMEMLIMIT": s.minio_memory_limit,
        }

    def prepare(self) -> None:
        fs.ensure_dir(self.state / "minio" / "data")

    def health(self) -> tuple[bool, str]:
        ok, detail = http_ok(f"http://{reach(self.bind_host)}:{self.settings.minio_port}/minio/health/ready")
        return ok, "ready" if ok else detail

    def bootstrap(self) -> None:
        from osspulse.stack import bootstrap

        bootstrap.s3_bucket(self.settings)


# --- Trino ----------------------------------------------------------------------------------------

HEALTH_TABLE = f"{ops.NAMESPACE}.{ops.LOAD_AUDIT.name}"  # scanned by Trino's health check


@dataclass
class Trino(Service):
    """One Trino node (coordinator and worker): password logins over TLS, file-based access control."""

    name: str = "trino"
    port_settings: tuple[str, ...] = ("trino_port",)
    stop_timeout: float = 40.0

    @property
    def bind_host(self) -> str:
        return self.settings.trino_bind_host

    @property
    def etc_dir(self) -> Path:
        return self.state / "trino" / "etc"

    def prepare(self) -> None:
        s = self.settings
        install = s.trino_install_dir
        if not (install / "lib").is_dir():
            raise StackError(f"Trino is not installed ({install}): run `make setup`")
        if not (install / "plugin" / "password-authenticators").is_dir():
            raise StackError(
                f"Trino's password-authenticators plugin is missing ({install}): run `make setup`"
            )
        for directory in (
            self.state / "trino",
            self.etc_dir,
            self.etc_dir / "catalog",
            self.state / "trino" / "data",
        ):
            fs.ensure_dir(directory)
        fs.ensure_dir(s.trino_tls_dir)
        tls = security.ensure_tls(s.trino_tls_dir, security.trino_tls_hostnames(s))
        if not s.trino_tls_ca_file and tls.certificate != s.trino_ca_path:  # pragma: no cover - one layout
            raise StackError(f"Trino's certificate is {tls.certificate}, clients trust {s.trino_ca_path}")
        password_file = self.etc_dir / configs.TRINO_PASSWORD_FILE
        try:
            hashes = security.trino_password_file(s, fs.read_text_nofollow(password_file))
        except ValueError as exc:
            raise StackError(str(exc)) from exc
        files = {
            "config.properties": configs.trino_config_properties(
                s,
                data_dir=self.state / "trino" / "data",
                etc_dir=self.etc_dir,
                plugin_dir=install / "plugin",
                tls_dir=s.trino_tls_dir,
            ),
            "access-control.properties": configs.trino_access_control_properties(configs.TRINO_RULES),
            "password-authenticator.properties": security.trino_password_authenticator_properties(
                password_file
            ),
            configs.TRINO_PASSWORD_FILE: hashes,
            f"catalog/{s.catalog_name}.properties": configs.trino_lake_catalog(s),
            "catalog/staging.properties": configs.trino_staging_catalog(s),
        }
        for rel, text in files.items():
            path = self.etc_dir / rel
            if fs.read_text_nofollow(path) != text:
                fs.write_file(path, text, mode=0o600)
        for stale in (self.etc_dir / "catalog").glob("*.properties"):
            if stale.stem not in (s.catalog_name, "staging"):
                stale.unlink()

    def command(self) -> list[str]:
        s = self.settings
        java = s.resolve_trino_java_home() / "bin" / "java"
        return [
            str(java),
            *configs.trino_jvm_options(s),
            f"-Dnode.data-dir={self.state / 'trino' / 'data'}",
            f"-Dconfig={self.etc_dir / 'config.properties'}",
            "-cp", f"{s.trino_install_dir / 'lib'}/*",
            "io.trino.server.TrinoServer",
        ]  # fmt: skip

    def env(self) -> dict[str, str]:
        return {**super().env(), **configs.trino_secret_env(self.settings)}

    def _tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.settings.trino_ca_path))

    def health(self) -> tuple[bool, str]:
        try:
            context = self._tls_context()
        except OSError as exc:
            return False, f"no certificate to trust: {exc}"
        ok, body = http_ok(f"{self.settings.trino_url}/v1/info", context=context)
        if not ok:
            return False, body
        try:
            starting = json.loads(body).get("starting", True)
        except ValueError:
            return False, "unreadable /v1/info"
        if starting:
            return False, "starting"
        # "Not starting" comes up to one node-map refresh (5 s) before the coordinator can schedule a
        # split of a CATALOG: until then a scan of a lake table fails with "No nodes available to run
        # query", while queries of `system` tables, information_schema and metadata tables pass (the
        # system catalog is on every node from the start). So the gate scans a real Iceberg table: the
        # load audit, which `stack up` creates before Trino starts (bootstrap.ops_tables).
        error = self.query_error(f"select count(*) from {self.settings.catalog_name}.{HEALTH_TABLE}")
        return error is None, "active" if error is None else f"active, but a query fails: {error}"

    def query_error(self, sql: str, timeout: float = 10.0) -> str | None:
        """Run ``sql`` as the pipeline's user (its login, over TLS); the error message, or None."""
        import requests

        from osspulse.lake.trino import http_session

        deadline = time.monotonic() + timeout
        try:
            with http_session(self.settings) as session:
                answer = session.post(f"{self.settings.trino_url}/v1/statement", data=sql, timeout=timeout)
                answer.raise_for_status()
                page = answer.json()
                while True:
                    if page.get("error"):
                        return str(page["error"].get("message", page["error"]))[:200]
                    if not page.get("nextUri"):
                        return None
                    if time.monotonic() > deadline:
                        return f"no answer within {timeout:.0f}s"
                    page = session.get(page["nextUri"], timeout=timeout).json()
        except (requests.RequestException, ValueError) as exc:
            return str(exc)[:200]


# --- Airflow --------------------------------------------------------------------------------------


@dataclass
class Airflow(Service):
    """One Airflow 3 component; all share AIRFLOW_HOME and the generated environment."""

    component: str = "api-server"
    stop_timeout: float = 45.0

    def __post_init__(self) -> None:
        self.name = f"airflow-{self.component}"
        if self.component == "api-server":
            self.port_settings = ("airflow_port",)

    @property
    def home(self) -> Path:
        return self.state / "airflow"

    @property
    def bind_host(self) -> str:
        return self.settings.airflow_bind_host

    def env(self) -> dict[str, str]:
        return {**super().env(), **configs.airflow_env(self.settings, airflow_home=self.home)}

    def command(self) -> list[str]:
        airflow = str(Path(sys.executable).parent / "airflow")
        if self.component == "api-server":
            s = self.settings
            return [airflow, "api-server", "--host", s.airflow_bind_host, "--port", str(s.airflow_port)]
        if self.component in ("scheduler", "triggerer"):
            # The log server binds every interface; on one machine the api-server reads task logs from
            # the shared log folder, so it is not needed.
            return [airflow, self.component, "--skip-serve-logs"]
        return [airflow, self.component]

    def prepare(self) -> None:
        for directory in (self.home, self.home / "plugins", self.home / "config", self.home / "logs"):
            fs.ensure_dir(directory)
        local_settings = self.home / "config" / "airflow_local_settings.py"
        if fs.read_text_nofollow(local_settings) != configs.AIRFLOW_LOCAL_SETTINGS:
            fs.write_file(local_settings, configs.AIRFLOW_LOCAL_SETTINGS)
        passwords = json.dumps(
            {self.settings.airflow_admin_user: self.settings.airflow_admin_password.get_secret_value()}
        )
        if fs.read_text_nofollow(self.home / "passwords.json") != passwords:
            fs.write_file(self.home / "passwords.json", passwords, mode=0o600)

    def migrate(self) -> None:
        """`airflow db migrate` once per Airflow version; the pools whenever their settings change."""
        self.prepare()
        from importlib.metadata import version

        airflow_bin = str(Path(sys.executable).parent / "airflow")
        stamp = self.home / f".migrated-{version('apache-airflow')}"
        rotation = configs.fernet_rotation_stamp(self.settings, self.home)
        if not stamp.exists():
            if not any(self.home.glob(".migrated-*")):
                fs.write_file(rotation, "")  # a new database: nothing was encrypted with an older key
            log.info("migrating the Airflow metadata database (first start only)")
            self._airflow_cli([airflow_bin, "db", "migrate"])
            fs.write_file(stamp, "")
        if len(configs.fernet_keys(self.settings)) > 1 and not rotation.exists():
            # connections, variables and triggers stored with an older key: re-encrypt them with the first
            log.info(
                "re-encrypting Airflow's stored secrets with the first key of OSSPULSE_AIRFLOW_FERNET_KEY"
            )
            self._airflow_cli([airflow_bin, "rotate-fernet-key"])
            fs.write_file(rotation, "")
            log.info(
                "Fernet key rotated: the keys after the first in OSSPULSE_AIRFLOW_FERNET_KEY are no longer"
                " used"
            )
        from osspulse.transform.dbt import ensure_dbt_manifest

        ensure_dbt_manifest(self.settings)  # transform_dbt is rendered from it
        pools = json.dumps(self.pools(), sort_keys=True, indent=2)
        pools_file = self.home / "pools.json"
        if not pools_file.exists() or pools_file.read_text() != pools:
            log.info("creating the Airflow pools %s", ", ".join(self.pools()))
            fs.write_file(pools_file, pools)
            self._airflow_cli([airflow_bin, "pools", "import", str(pools_file)])

    def pools(self) -> dict[str, dict[str, object]]:
        return configs.airflow_pools(self.settings)

    def _airflow_cli(self, cmd: list[str]) -> None:
        with fs.open_append(self.log_file) as out:
            done = subprocess.run(cmd, env=self.env(), stdout=out, stderr=subprocess.STDOUT, umask=0o077)  # noqa: S603
        if done.returncode != 0:
            raise StackError(f"`airflow {' '.join(cmd[1:])}` failed: see {self.log_file}")

    def health(self) -> tuple[bool, str]:
        ok, body = http_ok(f"{self.settings.airflow_url}/api/v2/monitor/health")
        if not ok:
            return False, "api-server not answering" if self.component != "api-server" else body
        if self.component == "api-server":
            return True, "answering"
        try:
            status = json.loads(body)[self.component.replace("-", "_")]
        except (ValueError, KeyError):
            return False, "no status in /monitor/health"
        healthy = status.get("status") == "healthy"
        return (
            healthy,
            f"heartbeat {status.get('latest_' + self.component.replace('-', '_') + '_heartbeat') or status}",
        )


# --- Streamlit ------------------------------------------------------------------------------------


@dataclass
class Streamlit(Service):
    name: str = "streamlit"
    port_settings: tuple[str, ...] = ("streamlit_port",)

    @property
    def bind_host(self) -> str:
        return self.settings.dashboard_bind_host

    def command(self) -> list[str]:
        s = self.settings
        return [
            str(Path(sys.executable).parent / "streamlit"), "run",
            str(REPO_ROOT / "osspulse" / "dashboard" / "app.py"),
            "--server.address", s.dashboard_bind_host,
            "--server.port", str(s.streamlit_port),
            "--server.headless", "true",
            "--server.fileWatcherType", "none",
            "--browser.gatherUsageStats", "false",
            "--global.developmentMode", "false",
            "--client.toolbarMode", "minimal",
        ]  # fmt: skip

    def env(self) -> dict[str, str]:
        # The dashboard reads its settings (Trino address, the dashboard user) like every other part.
        keep = {k: v for k, v in os.environ.items() if k.startswith("OSSPULSE_")}
        return {**super().env(), **keep}

    def health(self) -> tuple[bool, str]:
        return http_ok(f"{self.settings.dashboard_url}/_stcore/health")


# --- dbt docs site ----------------------------------------------------------------------------------


@dataclass
class DocsSite(Service):
    """Serves the dbt docs site that ``transform_dbt`` (or ``osspulse docs generate``) publishes."""

    name: str = "docs"
    port_settings: tuple[str, ...] = ("docs_port",)

    @property
    def bind_host(self) -> str:
        return self.settings.docs_bind_host

    def command(self) -> list[str]:
        return [sys.executable, "-m", "osspulse.cli", "docs", "serve"]

    def env(self) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if k.startswith("OSSPULSE_")}
        return {**super().env(), **keep}

    def health(self) -> tuple[bool, str]:
        ok, _ = http_ok(f"{self.settings.docs_url}/")
        return ok, "serving" if ok else "not answering"


# --- API simulator (demo and tests only) -----------------------------------------------------------


@dataclass
class FakeApi(Service):
    """The API simulator over ``OSSPULSE_FAKE_API_DATA``; part of the stack only when that is set."""

    name: str = "fake-api"
    port_settings: tuple[str, ...] = ("fake_api_port",)

    def command(self) -> list[str]:
        s = self.settings
        return [
            sys.executable, "-m", "osspulse.cli", "fake-api", "serve",
            "--data", s.fake_api_data, "--host", s.bind_host, "--port", str(s.fake_api_port),
        ]  # fmt: skip

    def prepare(self) -> None:
        if not Path(self.settings.fake_api_data).is_dir():
            raise StackError(
                f"the simulator dataset {self.settings.fake_api_data} does not exist: "
                "create it with `osspulse fake-api generate --out DIR` or run `osspulse demo`"
            )

    def health(self) -> tuple[bool, str]:
        ok, _ = http_ok(f"http://{reach(self.bind_host)}:{self.settings.fake_api_port}/_sim/stats")
        return ok, "serving " + self.settings.fake_api_data if ok else "not answering"

    def outdated(self) -> str | None:
        url = f"http://{reach(self.bind_host)}:{self.settings.fake_api_port}/_sim/stats"
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:  # noqa: S310 - the local simulator
                serving = json.loads(resp.read()).get("dataset")
        except (urllib.error.URLError, OSError, ValueError):
            return None
        wanted = str(Path(self.settings.fake_api_data).resolve())
        return f"it serves {serving}, the settings name {wanted}" if serving != wanted else None


def all_services(settings: Settings) -> list[Service]:
    """Every service, in start order (the simulator only when a dataset is configured)."""
    simulator: list[Service] = [FakeApi(settings)] if settings.fake_api_data else []
    return [
        *simulator,
        Postgres(settings),
        Minio(settings),
        Trino(settings),
        Streamlit(settings),
        DocsSite(settings),
        Airflow(settings, component="api-server"),
        Airflow(settings, component="scheduler"),
        Airflow(settings, component="dag-processor"),
        Airflow(settings, component="triggerer"),
    ]


def wait_healthy(services: list[Service], *, timeout: float, progress_every: float = 10.0) -> None:
    """Poll health until every service is healthy; a dead process or the deadline raises StackError."""
    started = time.monotonic()
    pending = {svc.name: svc for svc in services}
    last_report = started
    while pending:
        for name, svc in list(pending.items()):
            if svc.pid_file.running_pid() is None:
                tail = _tail(svc.log_file)
                raise StackError(f"{name} exited during start-up; its log is {svc.log_file}:\n{tail}")
            ok, _detail = svc.health()
            if ok:
                log.info("%s healthy after %.0fs", name, time.monotonic() - started)
                del pending[name]
        if not pending:
            return
        now = time.monotonic()
        if now - started > timeout:
            names = ", ".join(f"{n} (log: {s.log_file})" for n, s in pending.items())
            raise StackError(f"not healthy after {timeout:.0f}s: {names}")
        if now - last_report >= progress_every:
            last_report = now
            log.info("waiting for %s (%.0fs)", ", ".join(pending), now - started)
        time.sleep(1.0)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
