"""API faults: each lane ingests through a misbehaving simulator, reruns until it succeeds, then runs
the rest of the pipeline; its gold must equal the clean run's, table by table."""

from __future__ import annotations

import pytest

from tests.faults.report import LOAD_DATE, assert_gold_equal


def finish(lane, spark, baseline, fault: str, phase: str) -> None:
    lane.load(spark, LOAD_DATE)
    lane.transform()
    assert_gold_equal(baseline, lane.fingerprint(), fault, phase, lane.timings)


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


def test_5xx_bursts(make_lane, sim, spark, baseline):
    lane = make_lane("e5xx")
    sim.configure(error_rate=0.3, error_status=503, seed=1)
    ingest_until_done(lane)
    assert sim.stats()["faults"]["error"] > 0
    sim.configure(error_rate=0.0)
    finish(lane, spark, baseline, "5xx bursts (30 % of answers 503)", "ingest")


def test_429_with_retry_after(make_lane, sim, spark, baseline):
    lane = make_lane("e429")
    sim.configure(rate429_rate=0.2, retry_after_s=0.2, seed=2)
    ingest_until_done(lane)
    assert sim.stats()["faults"]["429"] > 0
    sim.configure(rate429_rate=0.0)
    finish(lane, spark, baseline, "429 with Retry-After (20 %)", "ingest")


def test_rate_limit_exhaustion_mid_backfill(make_lane, sim, spark, baseline):
    lane = make_lane("ratelimit")
    # the backfill takes ~620 GitHub requests (one per pull request for its reviews): with 150 per 2 s
    # window and the client's reserve of 10 it runs down to the reserve four times
    sim.configure(rate_limit=150, rate_window_s=2.0)
    ingest_until_done(lane, attempts=1)  # no failure: the client sleeps until the window resets
    stats = sim.stats()
    assert stats["counted"] > 3 * 150  # it went through several windows...
    assert stats["rate_limited"] == 0  # ...sleeping at the reserve, never answered "exhausted"
    sim.configure(rate_limit=5000, rate_window_s=3600.0)
    finish(lane, spark, baseline, "rate-limit exhaustion mid-backfill (150 requests per 2 s)", "ingest")


def test_malformed_and_truncated_pages(make_lane, sim, spark, baseline):
    lane = make_lane("malformed")
    sim.configure(malformed_rate=0.15, truncate_rate=0.15, seed=3)
    ingest_until_done(lane)
    faults = sim.stats()["faults"]
    assert faults["malformed"] > 0 and faults["truncated"] > 0
    sim.configure(malformed_rate=0.0, truncate_rate=0.0)
    finish(lane, spark, baseline, "malformed and truncated pages (15 % each)", "ingest")


def test_slow_responses_past_the_timeout(make_lane, sim, spark, baseline):
    lane = make_lane("slow", http_timeout_s=2.0)
    # this lane's client times out after 2 s; a tenth of the answers take 3 s
    sim.configure(slow_rate=0.1, slow_s=3.0, seed=4, fault_paths=r"/repos/apache/hudi/|/api/packages/hudi/")
    ingest_until_done(lane)
    assert sim.stats()["faults"]["slow"] > 0
    sim.configure(slow_rate=0.0, fault_paths="")
    finish(lane, spark, baseline, "slow responses past the client timeout", "ingest")


def test_a_repo_deleted_between_runs(make_lane, sim, spark, baseline, fault_dataset, tmp_path):
    """Run 1 sees the repo; before run 2 it is gone (404): run 2 fails for it alone, and what was
    ingested before stays (history is kept), so gold equals the clean run."""
    import shutil

    from osspulse.ingest.report import IngestError
    from osspulse_sim.server import running_simulator

    data = tmp_path / "data"
    shutil.copytree(fault_dataset, data)
    with running_simulator(data) as own:
        lane = make_lane("deleted", dataset=data, api_url=own.url)
        lane.ingest(LOAD_DATE)
        shutil.rmtree(data / "github" / "apache" / "hudi")
        with pytest.raises(IngestError, match="apache/hudi") as failure:
            lane.ingest(LOAD_DATE)
        assert "404" in str(failure.value) or "not found" in str(failure.value).lower()
        assert set(failure.value.failures) == {"apache/hudi"}
        finish(lane, spark, baseline, "a repo deleted between runs (404)", "ingest")
