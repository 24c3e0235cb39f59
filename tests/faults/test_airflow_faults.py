"""An orchestration fault: the Airflow scheduler restarts while the pipeline's DAGs run. The runs
resume (killed task instances are detected and retried) and gold equals the clean demo run's. It runs
``alone``: resetting the pipeline's data drops ``lake.ops``, which every lane's load and dbt use."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from osspulse.orchestration.airflow_api import AirflowClient
from osspulse.orchestration.dag_ids import INGEST, LOAD, TRANSFORM
from osspulse.pipeline import reset_pipeline_data
from osspulse.stack import runner
from tests.faults.lane import gold_fingerprint
from tests.faults.report import assert_gold_equal


def test_restart_the_scheduler_mid_dag(demo_pipeline, alone):
    s = demo_pipeline.settings
    clean = gold_fingerprint(s)
    reset_pipeline_data(s)
    conf = {"load_date": str(demo_pipeline.load_date)}
    t0 = time.monotonic()
    with AirflowClient(s) as api:
        since = datetime.now(UTC)
        run = api.trigger(INGEST, conf)

        def spark_is_loading() -> bool:
            """The signal: the load run's Spark task is running (the application was submitted)."""
            loads = [r for r in api.runs(LOAD, since) if r.state == "running"]
            return any(
                ti["task_id"] == "load_raw" and ti["state"] == "running"
                for r in loads
                for ti in api.task_instances(LOAD, r.run_id)
            )

        deadline = time.monotonic() + 900
        while not spark_is_loading():
            assert time.monotonic() < deadline, "load_iceberg's Spark task never started"
            time.sleep(1)
        scheduler = runner.service(s, "airflow-scheduler")
        before = scheduler.pid_file.running_pid()
        runner.down(s, only=["airflow-scheduler"])
        assert not scheduler.pid_file.running_pid(), "the scheduler is down while Spark loads"
        runner.up(s)
        assert scheduler.pid_file.running_pid() not in (None, before), "a new scheduler process runs"
        api.wait(run.dag_id, run.run_id, timeout=1200)
        api.wait_settled(LOAD, since, timeout=2400)
        api.wait_settled(TRANSFORM, since, timeout=2400)
    fault = "restart the Airflow scheduler mid-DAG (during load_iceberg)"
    assert_gold_equal(clean, gold_fingerprint(s), fault, "orchestration", {"pipeline": time.monotonic() - t0})
