"""An orchestration fault: the Airflow scheduler restarts while the pipeline's DAGs run. The runs
resume (killed task instances are detected and retried) and gold equals the clean demo run's."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from osspulse.orchestration.airflow_api import AirflowClient
from osspulse.orchestration.dag_ids import INGEST, LOAD, TRANSFORM
from osspulse.pipeline import reset_pipeline_data
from osspulse.stack import runner
from tests.faults.conftest import assert_gold_equal
from tests.faults.lane import gold_fingerprint


def test_restart_the_scheduler_mid_dag(demo_pipeline):
    s = demo_pipeline.settings
    clean = gold_fingerprint(s)
    reset_pipeline_data(s)
    conf = {"load_date": str(demo_pipeline.load_date)}
    t0 = time.monotonic()
    with AirflowClient(s) as api:
        since = datetime.now(UTC)
        runs = [api.trigger(INGEST, conf)]
        deadline = time.monotonic() + 900
        while not any(r.state == "running" for r in api.runs(LOAD, since)):
            assert time.monotonic() < deadline, "load_iceberg never started"
            time.sleep(2)
        time.sleep(5)  # Spark jobs are submitted
        runner.down(s, only=["airflow-scheduler"])
        runner.up(s)
        for run in runs:
            api.wait(run.dag_id, run.run_id, timeout=1200)
        api.wait_settled(LOAD, since, timeout=2400)
        api.wait_settled(TRANSFORM, since, timeout=2400)
    fault = "restart the Airflow scheduler mid-DAG (during load_iceberg)"
    assert_gold_equal(clean, gold_fingerprint(s), fault, "orchestration", {"pipeline": time.monotonic() - t0})
