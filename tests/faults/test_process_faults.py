"""Process faults: a process is killed or a service stops while the pipeline works; the rerun repairs
everything and the lane's gold equals the clean run's. A test that stops a shared service (Trino,
PostgreSQL, MinIO) takes the ``alone`` fixture: the concurrent scenarios have finished first. Killing
a lane's own process disturbs no other lane: those are scenarios (tests/faults/pool.py)."""

from __future__ import annotations

import os
import signal
import time
from datetime import timedelta

from osspulse.entities import ENTITIES
from osspulse.stack import runner
from osspulse_sim.server import running_simulator
from tests.faults.pool import scenario
from tests.faults.report import LOAD_DATE, assert_gold_equal

END = LOAD_DATE + timedelta(days=1)


def compare(lane, baseline, fault: str, phase: str) -> None:
    assert_gold_equal(baseline, lane.fingerprint(), fault, phase, lane.timings)


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def kill(proc) -> None:
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


@scenario
def test_kill_the_ingest_mid_page(ctx) -> None:
    # every answer a little slow: the run takes seconds
    with running_simulator(ctx.fault_dataset, slow_rate=1.0, slow_s=0.05) as sim:
        lane = ctx.make_lane("killingest", api_url=sim.url)
        proc = lane.cli("ingest", "all", "--load-date", str(LOAD_DATE))
        wait_until(lambda: sim.stats()["counted"] >= 30, 120, "30 answered requests")
        assert proc.poll() is None, "the ingest finished before it could be killed"
        kill(proc)
        sim.configure(slow_rate=0.0)
        lane.ingest(LOAD_DATE)  # the rerun resumes from the bookmarks of the pages that committed
    lane.load(ctx.spark, LOAD_DATE)
    lane.transform()
    compare(lane, ctx.baseline(), "kill -9 the ingest mid-page", "ingest")


@scenario
def test_kill_spark_mid_commit(ctx) -> None:
    with running_simulator(ctx.fault_dataset) as sim:
        lane = ctx.make_lane("killspark", api_url=sim.url)
        lane.ingest(LOAD_DATE)
    proc = lane.cli("load", "--start", str(LOAD_DATE), "--end", str(END), "--namespace", lane.raw_namespace)
    # the signal: the first entity's load committed (its audit row) while the application still runs
    wait_until(lambda: lane.loads_committed() >= 1 or proc.poll() is not None, 600, "a first committed load")
    assert proc.poll() is None, "the load finished before it could be killed:\n" + lane.cli_log()[-2000:]
    kill(proc)
    committed = lane.loads_committed()
    assert 1 <= committed < len(ENTITIES), f"killed mid-load: {committed} of {len(ENTITIES)} committed"
    lane.load(ctx.spark, LOAD_DATE)  # the rerun replaces the window of every entity
    assert lane.loads_committed() == committed + len(ENTITIES)
    lane.transform()
    compare(lane, ctx.baseline(), "kill -9 Spark while it loads and commits", "load")


def test_stop_trino_during_a_dbt_run(make_lane, sim, spark, baseline, stack, alone):
    lane = make_lane("stoptrino")
    lane.ingest(LOAD_DATE)
    lane.load(spark, LOAD_DATE)
    lane.dbt("seed")
    proc = lane.cli("dbt", "--schema-prefix", lane.prefix, "--raw-schema", lane.raw_namespace,
                    "--workdir", str(lane.workdir), "run")  # fmt: skip
    # the signal: dbt reports its first model built (models are running) while the run goes on
    wait_until(lambda: " OK created " in lane.cli_log() or proc.poll() is not None, 300, "a first model")
    stopped_mid_run = proc.poll() is None
    runner.down(stack, only=["trino"])
    proc.wait(timeout=300)
    runner.up(stack)
    assert stopped_mid_run, "dbt finished before Trino was stopped"
    assert proc.returncode != 0  # the run failed, visibly
    lane.transform()  # the rerun completes the models (incremental ones resume from what they hold)
    compare(lane, baseline, "stop Trino during a dbt run", "transform")


def test_restart_postgres_during_ingestion(make_lane, sim, spark, baseline, stack, alone):
    lane = make_lane("restartpg")
    sim.configure(slow_rate=1.0, slow_s=0.05)
    proc = lane.cli("ingest", "all", "--load-date", str(LOAD_DATE))
    wait_until(lambda: sim.stats()["counted"] >= 20, 120, "20 answered requests")
    assert proc.poll() is None, "the ingest finished before PostgreSQL could be restarted"
    answered = sim.stats()["counted"]
    runner.down(stack, only=["postgres"])
    runner.up(stack)  # Airflow and Trino may have lost their connections; up restarts what exited
    proc.wait(timeout=600)
    sim.configure(slow_rate=0.0)
    before_rerun = sim.stats()["counted"]
    lane.ingest(LOAD_DATE)
    # the restart cut the first run off mid-way: the rerun still had pages to fetch
    assert answered >= 20 and sim.stats()["counted"] > before_rerun
    lane.load(spark, LOAD_DATE)
    lane.transform()
    compare(lane, baseline, "restart PostgreSQL during ingestion", "ingest")


def test_stop_minio_during_a_spark_write(make_lane, sim, spark, baseline, stack, alone):
    lane = make_lane("stopminio")
    lane.ingest(LOAD_DATE)
    proc = lane.cli("load", "--start", str(LOAD_DATE), "--end", str(END), "--namespace", lane.raw_namespace)
    # the signal: a first entity committed while the application still writes the others
    wait_until(lambda: lane.loads_committed() >= 1 or proc.poll() is not None, 600, "a first committed load")
    assert proc.poll() is None, "the load finished before MinIO could be stopped:\n" + lane.cli_log()[-2000:]
    committed = lane.loads_committed()
    runner.down(stack, only=["minio"])
    assert not runner.service(stack, "minio").pid_file.running_pid(), "MinIO is down"
    runner.up(stack)
    try:
        proc.wait(timeout=600)
    finally:
        if proc.poll() is None:
            kill(proc)
    assert committed < len(ENTITIES), "MinIO stopped mid-load"
    lane.load(spark, LOAD_DATE)
    lane.transform()
    compare(lane, baseline, "stop MinIO during a Spark write", "load")
