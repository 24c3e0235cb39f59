"""``osspulse stack up | down | status | logs``."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from osspulse.settings import Settings, reach
from osspulse.stack import fs
from osspulse.stack.process import StackError, port_in_use, rss_bytes, start_detached, stop_group
from osspulse.stack.services import Airflow, FakeApi, Service, all_services, wait_healthy

log = logging.getLogger(__name__)


def _start(svc: Service) -> bool:
    """Start ``svc`` unless it already runs; False when it was already running."""
    pid = svc.pid_file.running_pid()
    if pid is not None:
        reason = svc.outdated()
        if reason is None:
            log.info("%s already running (pid %s)", svc.name, pid)
            return False
        log.info("restarting %s: %s", svc.name, reason)
        stop_group(pid, sig=svc.stop_signal, timeout=svc.stop_timeout)
        svc.pid_file.clear()
    for setting, port in svc.ports.items():
        if port_in_use(reach(svc.bind_host), port):
            raise StackError(
                f"cannot start {svc.name}: port {port} is already in use by another process; "
                f"stop that process or set {setting} in .env to a free port"
            )
    svc.prepare()
    pid = start_detached(svc.command(), log_file=svc.log_file, env=svc.env(), cwd=svc.state, user=svc.run_as)
    svc.pid_file.write(pid)
    log.info("started %s (pid %s, log %s)", svc.name, pid, svc.log_file)
    return True


#: services that keep pooled connections to a store and do not all recover when it restarts under them
#: (Trino's Iceberg JDBC catalog fails one query per pooled connection with "terminating connection
#: due to administrator command"); `up` restarts them after it (re)started that store
RESTART_WITH = {"trino": {"postgres"}}


def _restart_if_orphaned(svc: Service, started: set[str]) -> None:
    pid = svc.pid_file.running_pid()
    lost = RESTART_WITH.get(svc.name, set()) & started
    if pid is not None and lost:
        log.info("restarting %s: %s restarted under it", svc.name, ", ".join(sorted(lost)))
        stop_group(pid, sig=svc.stop_signal, timeout=svc.stop_timeout)
        svc.pid_file.clear()


def up(settings: Settings, *, timeout: float = 240.0, only: list[str] | None = None) -> dict[str, float]:
    """Start every service that is not running and wait until all are healthy.

    Returns the seconds each phase took. Running services are left alone.
    """
    check_settings(settings)
    prepare_state_dir(settings)
    services = {svc.name: svc for svc in all_services(settings)}
    wanted = [svc for name, svc in services.items() if not only or name in only or _group(name) in only]
    t0 = time.monotonic()
    timings: dict[str, float] = {}

    def phase(names: list[str]) -> list[Service]:
        return [services[n] for n in names if services[n] in wanted]

    # Stores first: everything else needs them.
    started: set[str] = set()
    for svc in phase(["fake-api", "postgres", "minio"] if "fake-api" in services else ["postgres", "minio"]):
        if _start(svc):
            started.add(svc.name)
        wait_healthy([svc], timeout=60)
        svc.bootstrap()  # idempotent and cheap; it also repairs a half-made store
        timings[svc.name] = time.monotonic() - t0
    if {"postgres", "minio"} <= {svc.name for svc in wanted}:
        from osspulse.stack import bootstrap

        bootstrap.ops_tables(settings)
    # Trino and Streamlit boot while Airflow migrates its database.
    slow = phase(["trino", "streamlit", "docs"])
    for svc in slow:
        _restart_if_orphaned(svc, started)
        _start(svc)
    airflow = phase(["airflow-api-server", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"])
    if airflow:
        api = next(s for s in airflow if isinstance(s, Airflow))
        t_migrate = time.monotonic()
        api.migrate()
        timings["airflow-migrate"] = time.monotonic() - t_migrate
        for svc in airflow:
            _start(svc)
    wait_healthy([*slow, *airflow], timeout=timeout)
    timings["all"] = time.monotonic() - t0
    log.info("stack healthy in %.0fs", timings["all"])
    return timings


def check_settings(settings: Settings) -> None:
    """Refuse to start with a placeholder secret (an ``.env`` older than the settings it needs)."""
    placeholders = [
        f"OSSPULSE_{name.upper()}"
        for name, value in settings
        if getattr(value, "get_secret_value", None) and value.get_secret_value() == "change-me"
    ]
    if placeholders:
        raise StackError(
            f"{', '.join(placeholders)} still hold the placeholder 'change-me': run `make setup`, which "
            "gives .env a random value for each (keeping every other value)"
        )


def prepare_state_dir(settings: Settings) -> None:
    """The state directory, private (700) and ours, and its logs/ and run/ (see :mod:`osspulse.stack.fs`)."""
    try:
        fs.check_state_dir(settings.state_dir)
        fs.ensure_dir(settings.state_dir / "logs")
        fs.ensure_dir(settings.state_dir / "run")
    except fs.UnsafeStateError as exc:
        raise StackError(str(exc)) from exc


def service(settings: Settings, name: str) -> Service:
    """The service called ``name`` (as in ``osspulse stack status``)."""
    for svc in all_services(settings):
        if svc.name == name:
            return svc
    raise StackError(f"no service {name!r}; services: {', '.join(s.name for s in all_services(settings))}")


def _group(name: str) -> str:
    return name.split("-", 1)[0]


def down(settings: Settings, *, only: list[str] | None = None) -> list[str]:
    """Stop running services in reverse start order; returns the names stopped."""
    stopped = []
    services = all_services(settings)
    if not any(isinstance(svc, FakeApi) for svc in services):
        # a simulator started while a dataset was configured is stopped even after that setting went
        services.insert(0, FakeApi(settings))
    for svc in reversed(services):
        if only and svc.name not in only and _group(svc.name) not in only:
            continue
        pid = svc.pid_file.running_pid()
        if pid is None:
            svc.pid_file.clear()
            continue
        log.info("stopping %s (pid %s)", svc.name, pid)
        killed = stop_group(pid, sig=svc.stop_signal, timeout=svc.stop_timeout)
        if killed:
            log.warning("%s had to be killed; see %s", svc.name, svc.log_file)
        svc.pid_file.clear()
        stopped.append(svc.name)
    return stopped


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    state: str  # running | stopped
    healthy: bool
    pid: int | None
    ports: str
    rss_mib: float
    detail: str
    log_file: str


def status(settings: Settings) -> list[ServiceStatus]:
    rows = []
    for svc in all_services(settings):
        pid = svc.pid_file.running_pid()
        ports = ",".join(str(p) for p in svc.ports.values()) or "-"
        if pid is None:
            rows.append(ServiceStatus(svc.name, "stopped", False, None, ports, 0.0, "", str(svc.log_file)))
            continue
        ok, detail = svc.health()
        rows.append(
            ServiceStatus(
                svc.name, "running", ok, pid, ports, rss_bytes(pid) / 2**20, detail[:60], str(svc.log_file)
            )
        )
    return rows


def format_status(rows: list[ServiceStatus]) -> str:
    header = ("SERVICE", "STATE", "HEALTH", "PID", "PORTS", "RSS MiB", "DETAIL")
    table = [header] + [
        (
            r.name,
            r.state,
            "healthy" if r.healthy else ("-" if r.state == "stopped" else "UNHEALTHY"),
            str(r.pid or "-"),
            r.ports,
            f"{r.rss_mib:.0f}" if r.pid else "-",
            r.detail.replace("\n", " "),
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in table]
    total = sum(r.rss_mib for r in rows)
    lines.append(f"total RSS: {total:.0f} MiB")
    return "\n".join(lines)


def log_path(settings: Settings, service: str) -> str:
    for svc in all_services(settings):
        if svc.name == service:
            return str(svc.log_file)
    names = ", ".join(s.name for s in all_services(settings))
    raise StackError(f"unknown service {service!r}; services are: {names}")
