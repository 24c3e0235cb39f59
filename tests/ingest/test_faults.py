"""Fault runs: whatever the API does, staging ends identical to a clean run (``make test-faults``)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import date

import httpx
import pytest

from osspulse.ingest.github import ingest_github, ingest_repo
from osspulse.ingest.pypi import ingest_pypi
from osspulse.ingest.report import IngestError
from osspulse.settings import REPO_ROOT
from osspulse_sim.server import running_simulator
from tests.ingest.helpers import (
    GITHUB_ENTITIES,
    diff_summary,
    expected_staging,
    fast,
    staging_dump,
    state_rows,
    subset,
)

pytestmark = [pytest.mark.integration, pytest.mark.faults]

DAY = date(2026, 11, 1)


def _ingest_all(settings) -> None:
    ingest_github(settings, None, DAY)
    ingest_pypi(settings, None, DAY)


def _unfinished(settings) -> list[tuple[str, str]]:
    """(stream, partition) of the passes with a resume cursor."""
    try:
        rows = state_rows(settings)
    except Exception:  # the state table does not exist yet
        return []
    return sorted(k for k, v in rows.items() if v["cursor"] and "next_url" in v["cursor"])


def _assert_clean(settings, dataset) -> None:
    expected = expected_staging(dataset, DAY)
    actual = staging_dump(settings)
    assert actual == expected, diff_summary(actual, expected)
    assert not [k for k, v in state_rows(settings).items() if v["cursor"] and "next_url" in v["cursor"]]


@pytest.mark.parametrize(
    "faults",
    [
        pytest.param({"error_rate": 0.25, "error_status": 503}, id="5xx"),
        pytest.param({"rate429_rate": 0.25, "retry_after_s": 0.05}, id="429-retry-after"),
        pytest.param({"malformed_rate": 0.2, "truncate_rate": 0.15}, id="malformed-and-truncated"),
        pytest.param({"slow_rate": 0.1, "slow_s": 1.5}, id="timeouts"),
    ],
)
def test_faulty_api_ends_like_a_clean_run(dataset, scratch_db, faults):
    with running_simulator(dataset, seed=7, **faults) as sim:
        settings = fast(sim.settings_for(scratch_db, tracked=dataset / "tracked.yml"), http_timeout_s=0.7)
        _ingest_all(settings)
        stats = sim.stats()
    assert sum(stats["faults"].values()) > 5, stats["faults"]
    _assert_clean(settings, dataset)


def test_rate_limit_budget_sleeps_before_running_dry(dataset, scratch_db):
    with running_simulator(dataset, rate_limit=30, rate_window_s=2.0) as sim:
        settings = fast(
            sim.settings_for(scratch_db, tracked=dataset / "tracked.yml"), github_ratelimit_reserve=3
        )
        started = time.monotonic()
        repos = ["apache/iceberg-python"]  # ~115 requests: four windows of 30
        reports = ingest_github(settings, repos, DAY)
        elapsed = time.monotonic() - started
        stats = sim.stats()
    assert stats["rate_limited"] == 0 and stats["counted"] > 90  # never ran dry: slept until the reset
    assert (
        elapsed > 2.0 and sum(r.requests.waited_s for r in reports) == 0
    )  # the limiter, not retries, waited
    expected = subset(expected_staging(dataset, DAY), GITHUB_ENTITIES)
    expected = {name: {k: v for k, v in rows.items() if k[0] in repos} for name, rows in expected.items()}
    actual = staging_dump(settings, GITHUB_ENTITIES)
    assert actual == expected, diff_summary(actual, expected)


def test_exhausted_rate_limit_403_waits_for_the_reset(dataset, scratch_db):
    with running_simulator(dataset, rate_limit=20, rate_window_s=2.0) as sim:
        with httpx.Client() as other:  # another consumer spends the whole budget
            for _ in range(20):
                other.get(f"{sim.url}/repos/apache/iceberg/releases?spend=1")
        settings = fast(
            sim.settings_for(scratch_db, tracked=dataset / "tracked.yml"), github_ratelimit_reserve=0
        )
        report = ingest_repo(settings, "apache/iceberg-python", DAY)
        stats = sim.stats()
    assert stats["rate_limited"] >= 1 and report.requests.retries >= 1
    expected = subset(expected_staging(dataset, DAY), GITHUB_ENTITIES)
    actual = staging_dump(settings, GITHUB_ENTITIES)
    for name in GITHUB_ENTITIES:
        want = {k: v for k, v in expected[name].items() if k[0] == "apache/iceberg-python"}
        assert actual[name] == want, name


def test_a_page_that_stays_malformed_is_never_half_written(dataset, scratch_db):
    with running_simulator(dataset, malformed_rate=1.0, fault_paths=r"/issues\?") as sim:
        settings = fast(sim.settings_for(scratch_db), http_max_retries=2)
        with pytest.raises(
            IngestError, match=r"apache/hudi: github_issues: .*failed after 3 attempts.*malformed"
        ):
            ingest_repo(settings, "apache/hudi", DAY)
        assert staging_dump(settings, ("github_issues",))["github_issues"] == {}
        assert ("github_issues", "apache/hudi") not in state_rows(settings)
        assert len(staging_dump(settings, ("github_commits",))["github_commits"]) == 430  # the others went on
        sim.configure(malformed_rate=0.0)
        ingest_repo(settings, "apache/hudi", DAY)
    expected = expected_staging(dataset, DAY)["github_issues"]
    assert staging_dump(settings, ("github_issues",))["github_issues"] == {
        k: v for k, v in expected.items() if k[0] == "apache/hudi"
    }


def test_killed_process_loses_nothing_and_the_rerun_resumes(dataset, scratch_db):
    with running_simulator(dataset, slow_rate=1.0, slow_s=0.06) as sim:
        env = {
            **os.environ,
            "OSSPULSE_GITHUB_API_URL": sim.url,
            "OSSPULSE_PYPISTATS_URL": sim.url,
            "OSSPULSE_PYPI_URL": sim.url,
            "OSSPULSE_PG_STAGING_DB": scratch_db.pg_staging_db,
            "OSSPULSE_TRACKED": str(dataset / "tracked.yml"),
            "OSSPULSE_INGEST_CONCURRENCY": "2",
        }
        cmd = [sys.executable, "-m", "osspulse.cli", "ingest", "all", "--load-date", DAY.isoformat()]
        proc = subprocess.Popen(  # noqa: S603
            cmd, env=env, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:  # kill it in the middle of a commits pass
            if sim.stats()["counted"] >= 6 and _unfinished(scratch_db):
                break
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        stderr = proc.stderr.read().decode() if proc.stderr else ""
        assert proc.returncode == -signal.SIGKILL, f"the run ended by itself before the kill: {stderr}"
        partial = staging_dump(scratch_db)
        expected = expected_staging(dataset, DAY)
        assert 0 < sum(map(len, partial.values())) < sum(map(len, expected.values()))
        for name, rows in partial.items():  # what landed is right: no half-written or wrong row
            assert all(expected[name][k] == v for k, v in rows.items()), name
        cursors = _unfinished(scratch_db)
        assert cursors

        sim.configure(slow_rate=0.0)
        sim.reset()
        settings = fast(sim.settings_for(scratch_db, tracked=dataset / "tracked.yml"))
        _ingest_all(settings)
        resumed = [e["path"] for e in sim.requests()]
    for stream, repo in cursors:  # an unfinished pass resumed at its cursor instead of starting over
        path = "/commits?" if stream == "github_commits" else "/releases?"
        collection = [p for p in resumed if p.startswith(f"/repos/{repo}{path}")]
        assert collection and re.search(r"[?&]page=[2-9]", collection[0]), (stream, repo, collection)
    _assert_clean(settings, dataset)
