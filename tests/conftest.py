"""Shared fixtures. Integration tests run against a real native stack of their own (started once per
session): its own state directory (``.osspulse-test``) and its own ports (the configured ones +
``OSSPULSE_TEST_PORT_OFFSET``, default 20000), so a developer's stack, its data and its Airflow
connections are never touched by the tests, whether it runs or not."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from osspulse.settings import Settings, get_settings
from tests.helpers import use_the_test_stack

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
DEMO_LOAD_DATE = date(2026, 11, 20)


use_the_test_stack()


def _test_github_token() -> None:
    """Tests run with a GitHub token (sent to the simulator only), so the log scan has one to look for.

    A real ``GITHUB_TOKEN`` is used as is; otherwise one is derived from this installation's secrets
    (stable, so a running stack is not restarted each session, and never in the repository).
    """
    s = get_settings()
    if not s.github_token.get_secret_value():
        seed = s.pg_password.get_secret_value().encode()
        os.environ["GITHUB_TOKEN"] = "ghp_" + hashlib.sha256(b"osspulse-test" + seed).hexdigest()[:36]
        get_settings.cache_clear()


_test_github_token()


def _airflow_environment() -> None:
    """Airflow reads its configuration at import: give tests the stack's, before anything imports it."""
    from osspulse.stack.configs import airflow_env

    s = get_settings()
    for key, value in airflow_env(s, airflow_home=s.state_dir / "airflow").items():
        if key.startswith("AIRFLOW"):
            os.environ.setdefault(key, value)


_airflow_environment()


SERVICE_MARKERS = ("integration", "e2e", "browser", "faults")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--suite",
        choices=("fast", "all"),
        default="fast",
        help="fast (default): only tests that need no service; all: the whole suite (make test)",
    )


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A bare `pytest` runs the fast tier; `make test` passes --suite=all; an explicit -m decides alone."""
    if config.getoption("--suite") == "all" or config.getoption("markexpr"):
        return
    slow = [i for i in items if any(i.get_closest_marker(m) for m in SERVICE_MARKERS)]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [i for i in items if i not in slow]


@pytest.fixture(scope="session")
def settings() -> Settings:
    return get_settings()


@pytest.fixture(scope="session")
def stack(settings: Settings) -> Settings:
    """The native stack, healthy. Started if needed; stopped at the end only if OSSPULSE_TEST_STACK_DOWN=1."""
    from osspulse.stack import runner

    runner.up(settings)
    scheduler = runner.service(settings, "airflow-scheduler")
    pid = scheduler.pid_file.running_pid()
    if pid and b"AIRFLOW_CONN_GITHUB_API=" not in Path(f"/proc/{pid}/environ").read_bytes():
        # started without a GitHub token: restart Airflow so its connection carries the tests' token
        runner.down(settings, only=["airflow"])
        runner.up(settings)
    yield settings
    if os.environ.get("OSSPULSE_TEST_STACK_DOWN") == "1":
        runner.down(settings)


@pytest.fixture
def scratch_db(stack: Settings) -> Iterator[Settings]:
    """Settings whose staging database is a fresh, empty database (dropped afterwards)."""
    name = f"osspulse_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(stack.pg_dsn("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    try:
        yield stack.model_copy(update={"pg_staging_db": name})
    finally:
        with psycopg.connect(stack.pg_dsn("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def spark(settings: Settings):
    """One local Spark session (with the Iceberg catalog) for the whole test session."""
    from osspulse.lake.spark import spark_session

    session = spark_session(settings, "osspulse-tests")
    yield session
    session.stop()


@pytest.fixture
def lake_namespace(stack: Settings) -> Iterator[str]:
    """A fresh Iceberg namespace in the shared catalog, purged afterwards."""
    from osspulse.lake.catalog import load_catalog

    name = f"t_{uuid.uuid4().hex[:10]}"
    yield name
    catalog = load_catalog(stack)
    if (name,) in catalog.list_namespaces():
        for table in catalog.list_tables(name):
            catalog.purge_table(table)
        catalog.drop_namespace(name)


@dataclass(frozen=True)
class DemoPipeline:
    settings: Settings
    dataset: Path
    load_date: date
    times: object
    #: what an unprivileged user could read in /proc during the run (tests/security/scan.py)
    process_scan: object = None
    #: the local SMTP server and webhook receiver the stack's alert connections point at
    alert_sink: object = None
    #: when the flow was triggered (the deliver_alerts runs after it are this pipeline's)
    started: datetime | None = None


@pytest.fixture(scope="session")
def demo_pipeline(stack: Settings, tmp_path_factory) -> Iterator[DemoPipeline]:
    """The demo's flow once per session, through the real Airflow scheduler, on a fresh scale-1 dataset.

    The stack's sources point at the simulator (``sources.env``; restored afterwards) and the
    pipeline's data starts empty, so gold holds exactly this dataset. Dashboard, workbench and
    end-to-end tests read it.
    """
    from osspulse import pipeline
    from osspulse.settings import sources_overlay
    from osspulse.stack import runner
    from osspulse_sim import demo
    from osspulse_sim.generate import generate

    dataset = tmp_path_factory.mktemp("demo-data")
    generate(dataset, scale=1)
    overlay = sources_overlay(stack.state_dir)
    previous = overlay.read_text() if overlay.exists() else None
    s = demo.use_simulator(stack, dataset)
    runner.up(s)
    pipeline.reset_pipeline_data(s)
    from osspulse_sim.alert_sink import AlertSink
    from tests.security.scan import ProcessScanner

    # the demo's alert rules and a real SMTP server + webhook receiver on the ports the stack's Airflow
    # connections name; the receiver refuses the first post of new alerts (not the weekly digest, which
    # alert_digest may send meanwhile), so deliver_alerts must retry (tests/e2e)
    demo.ensure_demo_alerts(dataset)
    sink = AlertSink(tmp_path_factory.mktemp("alert-sink"), s.bind_host, s.alert_sink_smtp_port,
                     s.alert_sink_http_port).start()  # fmt: skip
    sink.fail_next(1, status=503, containing="new alert")
    started = datetime.now(UTC)
    scanner = ProcessScanner.start()
    try:
        times = pipeline.run_pipeline(s, load_date=DEMO_LOAD_DATE)
    finally:
        scanner.stop()
    try:
        yield DemoPipeline(s, dataset, DEMO_LOAD_DATE, times, scanner, sink, started)
    finally:
        sink.stop()
    if previous is None:
        overlay.unlink(missing_ok=True)
    else:
        overlay.write_text(previous)
    get_settings.cache_clear()
