"""Process faults: a process is killed or a service stops while the pipeline works; the rerun repairs
everything and the lane's gold equals the clean run's."""

from __future__ import annotations

import os
import signal
import time
from datetime import timedelta

from osspulse.stack import runner
from tests.faults.conftest import LOAD_DATE, assert_gold_equal

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


def test_kill_the_ingest_mid_page(make_lane, sim, spark, baseline):
    lane = make_lane("killingest")
    sim.configure(slow_rate=1.0, slow_s=0.05)  # every answer a little slow: the run takes seconds
    proc = lane.cli("ingest", "all", "--load-date", str(LOAD_DATE))
    wait_until(lambda: sim.stats()["counted"] >= 30, 120, "30 answered requests")
    assert proc.poll() is None, "the ingest finished before it could be killed"
    kill(proc)
    sim.configure(slow_rate=0.0)
    lane.ingest(LOAD_DATE)  # the rerun resumes from the bookmarks of the pages that committed
    lane.load(spark, LOAD_DATE)
    lane.transform()
    compare(lane, baseline, "kill -9 the ingest mid-page", "ingest")


def test_kill_spark_mid_commit(make_lane, sim, spark, baseline):
    lane = make_lane("killspark")
    lane.ingest(LOAD_DATE)
    proc = lane.cli("load", "--start", str(LOAD_DATE), "--end", str(END), "--namespace", lane.raw_namespace)
    time.sleep(25)  # the JVM is up and loading entities one after the other
    if proc.poll() is None:
        kill(proc)
    lane.load(spark, LOAD_DATE)  # the rerun replaces the window of every entity
    audit = spark.sql(
        f"select count(*) from lake.ops.load_audit where namespace = '{lane.raw_namespace}'"
    ).first()[0]
    assert audit >= 8
    lane.transform()
    compare(lane, baseline, "kill -9 Spark while it loads and commits", "load")


def test_stop_trino_during_a_dbt_run(make_lane, sim, spark, baseline, stack):
    lane = make_lane("stoptrino")
    lane.ingest(LOAD_DATE)
    lane.load(spark, LOAD_DATE)
    lane.dbt("seed")
    proc = lane.cli("dbt", "--schema-prefix", lane.prefix, "--raw-schema", lane.raw_namespace,
                    "--workdir", str(lane.workdir), "run")  # fmt: skip
    time.sleep(8)
    stopped_mid_run = proc.poll() is None
    runner.down(stack, only=["trino"])
    proc.wait(timeout=300)
    runner.up(stack)
    assert stopped_mid_run, "dbt finished before Trino was stopped"
    assert proc.returncode != 0  # the run failed, visibly
    lane.transform()  # the rerun completes the models (incremental ones resume from what they hold)
    compare(lane, baseline, "stop Trino during a dbt run", "transform")


def test_restart_postgres_during_ingestion(make_lane, sim, spark, baseline, stack):
    lane = make_lane("restartpg")
    sim.configure(slow_rate=1.0, slow_s=0.05)
    proc = lane.cli("ingest", "all", "--load-date", str(LOAD_DATE))
    wait_until(lambda: sim.stats()["counted"] >= 20, 120, "20 answered requests")
    runner.down(stack, only=["postgres"])
    runner.up(stack)  # Airflow and Trino may have lost their connections; up restarts what exited
    proc.wait(timeout=600)
    sim.configure(slow_rate=0.0)
    lane.ingest(LOAD_DATE)
    lane.load(spark, LOAD_DATE)
    lane.transform()
    compare(lane, baseline, "restart PostgreSQL during ingestion", "ingest")


def test_stop_minio_during_a_spark_write(make_lane, sim, spark, baseline, stack):
    lane = make_lane("stopminio")
    lane.ingest(LOAD_DATE)
    proc = lane.cli("load", "--start", str(LOAD_DATE), "--end", str(END), "--namespace", lane.raw_namespace)
    time.sleep(20)
    runner.down(stack, only=["minio"])
    time.sleep(10)
    runner.up(stack)
    try:
        proc.wait(timeout=600)
    finally:
        if proc.poll() is None:
            kill(proc)
    lane.load(spark, LOAD_DATE)
    lane.transform()
    compare(lane, baseline, "stop MinIO during a Spark write", "load")
