"""API faults: each lane ingests through a misbehaving simulator (its own: the faults reach no other
lane), reruns until it succeeds, then runs the rest of the pipeline; its gold must equal the clean
run's, table by table. Each is a scenario (tests/faults/pool.py): they run two at a time while the
suite goes on, and each test waits for its own."""

from __future__ import annotations

import shutil

import pytest

from osspulse_sim.server import running_simulator
from tests.faults.pool import scenario
from tests.faults.report import LOAD_DATE, assert_gold_equal


def finish(lane, ctx, fault: str, phase: str) -> None:
    lane.load(ctx.spark, LOAD_DATE)
    lane.transform()
    assert_gold_equal(ctx.baseline(), lane.fingerprint(), fault, phase, lane.timings)


def ingest_until_done(lane, attempts: int = 3) -> int:
    """Rerun the ingest like Airflow's retries would; returns the failed attempts."""
    from osspulse.ingest.report import IngestError

    for attempt in range(attempts):
        try:
            lane.ingest(LOAD_DATE)
            return attempt
        except IngestError:
            continue
    raise AssertionError(f"{lane.name}: ingest still failing after {attempts} attempts")


def faulty_ingest(ctx, name: str, attempts: int = 3, lane_settings: dict | None = None, **faults):
    """A lane ingested through a simulator of its own with ``faults`` switched on, rerun until done;
    returns the lane and the simulator's counts."""
    with running_simulator(ctx.fault_dataset, **faults) as sim:
        lane = ctx.make_lane(name, api_url=sim.url, **(lane_settings or {}))
        ingest_until_done(lane, attempts)
        return lane, sim.stats()


@scenario
def test_5xx_bursts(ctx) -> None:
    lane, stats = faulty_ingest(ctx, "e5xx", error_rate=0.3, error_status=503, seed=1)
    assert stats["faults"]["error"] > 0
    finish(lane, ctx, "5xx bursts (30 % of answers 503)", "ingest")


@scenario
def test_429_with_retry_after(ctx) -> None:
    lane, stats = faulty_ingest(ctx, "e429", rate429_rate=0.2, retry_after_s=0.2, seed=2)
    assert stats["faults"]["429"] > 0
    finish(lane, ctx, "429 with Retry-After (20 %)", "ingest")


@scenario
def test_rate_limit_exhaustion_mid_backfill(ctx) -> None:
    # the backfill takes ~620 GitHub requests (one per pull request for its reviews): with 150 per 2 s
    # window and the client's reserve of 10 it runs down to the reserve four times; no failure: the
    # client sleeps until the window resets
    lane, stats = faulty_ingest(ctx, "ratelimit", attempts=1, rate_limit=150, rate_window_s=2.0)
    assert stats["counted"] > 3 * 150  # it went through several windows...
    assert stats["rate_limited"] == 0  # ...sleeping at the reserve, never answered "exhausted"
    finish(lane, ctx, "rate-limit exhaustion mid-backfill (150 requests per 2 s)", "ingest")


@scenario
def test_malformed_and_truncated_pages(ctx) -> None:
    lane, stats = faulty_ingest(ctx, "malformed", malformed_rate=0.15, truncate_rate=0.15, seed=3)
    assert stats["faults"]["malformed"] > 0 and stats["faults"]["truncated"] > 0
    finish(lane, ctx, "malformed and truncated pages (15 % each)", "ingest")


@scenario
def test_slow_responses_past_the_timeout(ctx) -> None:
    # this lane's client times out after 2 s; a tenth of the answers take 3 s
    lane, stats = faulty_ingest(ctx, "slow", lane_settings={"http_timeout_s": 2.0}, slow_rate=0.1, slow_s=3.0,
                                seed=4, fault_paths=r"/repos/apache/hudi/|/api/packages/hudi/")  # fmt: skip
    assert stats["faults"]["slow"] > 0
    finish(lane, ctx, "slow responses past the client timeout", "ingest")


@scenario
def test_a_repo_deleted_between_runs(ctx) -> None:
    """Run 1 sees the repo; before run 2 it is gone (404): run 2 fails for it alone, and what was
    ingested before stays (history is kept), so gold equals the clean run."""
    from osspulse.ingest.report import IngestError

    data = ctx.tmp("deleted") / "data"
    shutil.copytree(ctx.fault_dataset, data)
    with running_simulator(data) as own:
        lane = ctx.make_lane("deleted", dataset=data, api_url=own.url)
        lane.ingest(LOAD_DATE)
        shutil.rmtree(data / "github" / "apache" / "hudi")
        with pytest.raises(IngestError, match="apache/hudi") as failure:
            lane.ingest(LOAD_DATE)
        assert "404" in str(failure.value) or "not found" in str(failure.value).lower()
        assert set(failure.value.failures) == {"apache/hudi"}
        finish(lane, ctx, "a repo deleted between runs (404)", "ingest")
