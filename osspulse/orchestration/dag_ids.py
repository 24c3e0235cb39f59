"""The DAG ids of OSS Pulse: one place for the contract between ``dags/``, the pipeline driver
(:mod:`osspulse.pipeline`), the health recorder and the tests (each DAG file is named after its id)."""

from __future__ import annotations

INGEST = "ingest"
LOAD = "load_iceberg"
TRANSFORM = "transform_dbt"
MAINTAIN = "maintain_lakehouse"
ALERTS = "deliver_alerts"
DIGEST = "alert_digest"

#: every DAG, in the order data flows through them
PIPELINE_DAGS: tuple[str, ...] = (INGEST, LOAD, TRANSFORM, ALERTS, MAINTAIN, DIGEST)
