"""Fault scenarios that run concurrently, each in its own lane, while the suite goes on.

A lane's pipeline spends its time in different places (the ingest in this process and the simulator,
the load in Spark, dbt in its own process and Trino), so two lanes at once keep the two cores busier
than one. A *scenario* is a lane's whole story, run in a pool thread: the same steps and the same
assertions its test made inline before. Its test waits for it and re-raises whatever it raised, so a
failure still fails (and names) the test it belongs to.

Each scenario reads its own in-process simulator (the faults it switches on reach no other lane), its
own staging database, raw namespace and dbt schemas. What needs the stack to itself (stopping Trino,
PostgreSQL or MinIO) asks :meth:`Scenarios.drain` first and runs alone.

A scenario is written as its test, ``@scenario def test_x(ctx): ...``; the decorator keeps the body and
puts in its place a test of the same name that waits for it. The pool starts every scenario of the
selected tests when the first of them runs, the clean baseline first. ``OSSPULSE_TEST_LANES`` sets how
many run at once (default 2; 1 runs them one after another).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger("faults")

#: a scenario's longest run; a test waiting longer fails (the fault suite's lanes take 1-4 minutes)
SCENARIO_TIMEOUT_S = 1800


def lanes_at_once() -> int:
    raw = os.environ.get("OSSPULSE_TEST_LANES", "2")
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"OSSPULSE_TEST_LANES={raw!r}: expected a whole number of lanes at once (1 or more)")
    return int(raw)


@dataclass
class Context:
    """What a scenario gets: the fixtures its test used to take."""

    make_lane: Callable[..., Any]
    spark: Any
    fault_dataset: Path
    tmp: Callable[[str], Path]
    baseline_job: Future

    def baseline(self) -> dict[str, str]:
        """The clean run's gold fingerprint (waits for the baseline scenario)."""
        return self.baseline_job.result(timeout=SCENARIO_TIMEOUT_S)


class Scenarios:
    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lane")
        self._jobs: dict[str, Future] = {}
        self._lock = threading.Lock()

    def start(self, name: str, fn: Callable[..., Any], *args: Any) -> Future:
        """Submit ``fn(*args)`` under ``name`` unless it already was."""
        with self._lock:
            if name not in self._jobs:
                log.info("scenario %s: queued (%d lanes at once)", name, self.workers)
                self._jobs[name] = self._pool.submit(_named, name, fn, *args)
            return self._jobs[name]

    def result(self, name: str) -> Any:
        if name not in self._jobs:
            raise KeyError(f"scenario {name!r} was never started (is its test selected?)")
        return self._jobs[name].result(timeout=SCENARIO_TIMEOUT_S)

    def drain(self) -> None:
        """Wait until every started scenario has finished (what stops a shared service runs alone)."""
        with self._lock:
            jobs = list(self._jobs.values())
        if jobs:
            wait(jobs, timeout=SCENARIO_TIMEOUT_S)

    def close(self) -> None:
        self.drain()
        self._pool.shutdown(wait=True, cancel_futures=True)


def scenario(body: Callable[[Context], Any]) -> Callable[..., None]:
    """Make ``body(ctx)`` a scenario: what stands in the module is a test of the same name that waits
    for the body (started by the ``started`` fixture) and re-raises whatever it raised."""
    name = body.__name__

    def test(started: Scenarios) -> None:
        started.result(name)

    test.__name__ = test.__qualname__ = name
    test.__module__, test.__doc__ = body.__module__, body.__doc__
    test.scenario = body  # type: ignore[attr-defined]
    return test


def _named(name: str, fn: Callable[..., Any], *args: Any) -> Any:
    log.info("scenario %s: running", name)
    try:
        return fn(*args)
    finally:
        log.info("scenario %s: done", name)
