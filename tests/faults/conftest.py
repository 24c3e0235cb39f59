"""Fixtures of the fault suite (`make test-faults`): one dataset, an in-process simulator, a clean lane."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from osspulse.settings import Settings
from tests.faults.lane import Lane
from tests.faults.pool import Context, Scenarios, lanes_at_once
from tests.faults.report import LOAD_DATE, REPORT, markdown_table, record


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/faults/" in str(item.fspath):
            item.add_marker(pytest.mark.faults)
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def fault_dataset(tmp_path_factory) -> Path:
    from osspulse_sim.generate import generate

    out = tmp_path_factory.mktemp("fault-data")
    generate(out, scale=1)
    return out


@pytest.fixture(scope="session")
def simulator(fault_dataset: Path):
    from osspulse_sim.server import running_simulator

    with running_simulator(fault_dataset) as sim:
        sim.simulator.dataset.preload()
        yield sim


@pytest.fixture
def sim(simulator):
    """The simulator, reset to a clean state (no faults, fresh budget) before and after each test."""
    from osspulse_sim.server import SimSettings

    clean = {k: v for k, v in vars(SimSettings()).items()}
    simulator.configure(**clean)
    simulator.reset()
    yield simulator
    simulator.configure(**clean)
    simulator.reset()


@pytest.fixture(scope="session")
def make_lane(stack: Settings, fault_dataset: Path, simulator, tmp_path_factory) -> Iterator:
    lanes: list[Lane] = []

    def make(name: str, dataset: Path | None = None, api_url: str | None = None, **overrides) -> Lane:
        lane = Lane(
            name,
            stack,
            dataset or fault_dataset,
            api_url or simulator.url,
            tmp_path_factory.mktemp(f"lane-{name}"),
            overrides,
        )
        lanes.append(lane.create())
        return lane

    yield make
    for lane in lanes:
        lane.destroy()


@pytest.fixture(scope="session")
def scenarios(make_lane) -> Iterator[Scenarios]:
    """The pool (closed, every scenario finished, before the lanes are dropped)."""
    pool = Scenarios(lanes_at_once())
    yield pool
    pool.close()


def _clean_run(make_lane, spark) -> dict[str, str]:
    lane = make_lane("clean")
    lane.run(spark, LOAD_DATE)
    prints = lane.fingerprint()
    record("clean run", "none", "baseline", lane.timings)
    return prints


@pytest.fixture(scope="session")
def started(request, scenarios: Scenarios, make_lane, spark, fault_dataset, tmp_path_factory) -> Scenarios:
    """Starts the clean baseline, then the scenario of every selected test that is one
    (``@scenario``, tests/faults/pool.py), in the order the tests run."""
    baseline_job = scenarios.start("clean run", _clean_run, make_lane, spark)
    ctx = Context(make_lane, spark, fault_dataset, tmp_path_factory.mktemp, baseline_job)
    for item in request.session.items:
        body = getattr(getattr(item, "function", None), "scenario", None)
        if body is not None:
            scenarios.start(body.__name__, body, ctx)
    return scenarios


@pytest.fixture(scope="session")
def baseline(started: Scenarios) -> dict[str, str]:
    """The gold fingerprint of a clean run on the dataset."""
    return started.result("clean run")


@pytest.fixture
def alone(started: Scenarios) -> None:
    """For a test that stops a shared service: every concurrent scenario has finished first."""
    started.drain()


def pytest_sessionfinish(session, exitstatus):
    if REPORT.exists():
        REPORT.with_suffix(".md").write_text(markdown_table(json.loads(REPORT.read_text())))
