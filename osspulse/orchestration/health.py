"""Pipeline health, recorded in ``lake.ops`` (see :mod:`osspulse.lake.ops`) for the Data health page.

* ``ops.dbt_results``: every node of one ``transform_dbt`` run's ``dbt build`` (models, tests, seeds),
  from the ``run_results.json`` the ``dbt_build`` task kept (:mod:`osspulse.transform.build`);
* ``ops.pipeline_runs``: the latest runs of every OSS Pulse DAG, replaced on each record.

Both are written by the last task of ``transform_dbt``. dbt exposes them to the dashboard through gold
views (``models/gold/data_health_dbt_tests.sql``, ``data_health_dbt_test_runs.sql``,
``data_health_dag_runs.sql``).
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from osspulse.lake import ops
from osspulse.orchestration.dag_ids import PIPELINE_DAGS
from osspulse.settings import Settings

log = logging.getLogger(__name__)

ARTIFACTS = ("run_results.json", "sources.json", "manifest.json")


def artifacts_dir(s: Settings, run_id: str) -> Path:
    """Where the dbt artifacts of one run are kept (under the state directory)."""
    return s.state_dir / "dbt-artifacts" / re.sub(r"[^A-Za-z0-9_.+-]", "_", run_id)


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC) if value else None


def dbt_result_rows(
    run_results: dict[str, Any], manifest: dict[str, Any], run_id: str
) -> list[dict[str, Any]]:
    """Rows of ``ops.dbt_results`` from a ``run_results.json`` and its manifest (pure).

    ``model`` is the model a test checks (its ``attached_node``, else the first model it depends on) and
    the node's own name otherwise.
    """
    nodes = {**manifest.get("nodes", {}), **manifest.get("unit_tests", {})}
    meta = run_results.get("metadata", {})
    generated_at = _parse(meta.get("generated_at"))
    rows = []
    for result in run_results.get("results", []):
        unique_id = result["unique_id"]
        node = nodes.get(unique_id, {})
        resource_type = node.get("resource_type") or unique_id.split(".", 1)[0]
        name = node.get("name") or unique_id.rsplit(".", 1)[-1]
        attached = node.get("attached_node") or next(
            (d for d in node.get("depends_on", {}).get("nodes", []) if d.startswith("model.")), None
        )
        model = attached.rsplit(".", 1)[-1] if attached and resource_type in ("test", "unit_test") else name
        if resource_type == "unit_test" and node.get("model"):
            model = node["model"]
        failures = result.get("failures")
        rows.append(
            {
                "run_id": run_id,
                "invocation_id": meta.get("invocation_id"),
                "generated_at": generated_at,
                "unique_id": unique_id,
                "resource_type": resource_type,
                "name": name,
                "model": model,
                "status": result.get("status"),
                "failures": int(failures) if isinstance(failures, int | float) else None,
                "message": (result.get("message") or None) if result.get("status") != "success" else None,
                "execution_time_s": result.get("execution_time"),
            }
        )
    return rows


def record_dbt_results(s: Settings, run_id: str) -> int:
    """Record the dbt results of one ``transform_dbt`` run; returns the rows written."""
    where = artifacts_dir(s, run_id)
    results_file = where / "run_results.json"
    if not results_file.is_file():
        raise FileNotFoundError(
            f"no run_results.json for {run_id} in {where}: the dbt build did not run (see the "
            "dbt_build task's log)"
        )
    manifest_file = where / "manifest.json"
    manifest = json.loads(manifest_file.read_text()) if manifest_file.is_file() else {}
    rows = dbt_result_rows(json.loads(results_file.read_text()), manifest, run_id)
    written = ops.replace_rows(s, ops.DBT_RESULTS, rows, where=("run_id", run_id))
    log.info("recorded %d dbt results of %s", written, run_id)
    return written


def pipeline_run_rows(dag_id: str, runs: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """Rows of ``ops.pipeline_runs`` from the Airflow API's DAG runs (pure)."""
    rows = []
    for run in runs:
        start, end = _parse(run.get("start_date")), _parse(run.get("end_date"))
        rows.append(
            {
                "dag_id": dag_id,
                "run_id": run["dag_run_id"],
                "run_type": run.get("run_type"),
                "state": run.get("state"),
                "start_date": start,
                "end_date": end,
                "duration_s": (end - start).total_seconds() if start and end else None,
                "recorded_at": now,
            }
        )
    return rows


def record_pipeline_runs(s: Settings, per_dag: int = 20) -> int:
    """Replace ``ops.pipeline_runs`` with the latest ``per_dag`` runs of every OSS Pulse DAG."""
    from osspulse.orchestration.airflow_api import AirflowClient

    now = datetime.now(UTC)
    rows = []
    with AirflowClient(s) as api:
        for dag_id in PIPELINE_DAGS:
            data = api.request(
                "GET", f"/dags/{dag_id}/dagRuns", params={"limit": per_dag, "order_by": "-run_after"}
            )
            rows.extend(pipeline_run_rows(dag_id, data["dag_runs"], now))
    written = ops.replace_rows(s, ops.PIPELINE_RUNS, rows)
    log.info("recorded %d pipeline runs", written)
    return written
