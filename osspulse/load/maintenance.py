"""Iceberg table maintenance (weekly): expire snapshots, compact small files, remove orphan files.

Retention comes from settings: snapshots older than ``OSSPULSE_SNAPSHOT_RETENTION_DAYS`` are expired
(always keeping the last ``OSSPULSE_SNAPSHOT_RETAIN_LAST``), orphan files older than
``OSSPULSE_ORPHAN_RETENTION_DAYS`` are deleted (the age guard protects files of in-flight writes).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from osspulse.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)


def _ts(value: datetime) -> str:
    return f"TIMESTAMP '{value.strftime('%Y-%m-%d %H:%M:%S')}'"


def tables(spark: SparkSession, s: Settings, namespace: str) -> list[str]:
    if not spark.sql(f"show namespaces in {s.catalog_name}").where(f"namespace = '{namespace}'").count():
        return []
    return [
        f"{namespace}.{r.tableName}"
        for r in spark.sql(f"show tables in {s.catalog_name}.{namespace}").collect()
    ]


def remove_orphan_files(spark: SparkSession, table: str, older_than: datetime) -> int:
    """Delete files under the table location that no snapshot references and are older than the cut-off.

    Uses Iceberg's action API rather than the ``remove_orphan_files`` procedure, whose hard-coded
    24-hour guard is measured from the wall clock; the guard here is OSSPULSE_ORPHAN_RETENTION_DAYS
    (at least one day) relative to the ``now`` the run was given.
    """
    jvm, jspark = spark._jvm, spark._jsparkSession
    iceberg_table = jvm.org.apache.iceberg.spark.Spark3Util.loadIcebergTable(jspark, table)
    result = (
        jvm.org.apache.iceberg.spark.actions.SparkActions.get(jspark)
        .deleteOrphanFiles(iceberg_table)
        .olderThan(int(older_than.timestamp() * 1000))
        .usePrefixListing(True)  # list through S3FileIO, not a Hadoop file system
        .execute()
    )
    return sum(1 for _ in result.orphanFileLocations())


def maintain_table(spark: SparkSession, s: Settings, table: str, now: datetime) -> dict[str, object]:
    cat = s.catalog_name
    # Order matters: compact and tidy manifests first, so that expiring snapshots also deletes the
    # files compaction replaced; orphans last.
    rewritten = spark.sql(
        f"call {cat}.system.rewrite_data_files(table => '{table}', strategy => 'binpack', "
        "options => map('min-input-files', '5', 'partial-progress.enabled', 'true'))"
    ).collect()[0]
    manifests = spark.sql(f"call {cat}.system.rewrite_manifests(table => '{table}')").collect()[0]
    expired = spark.sql(
        f"call {cat}.system.expire_snapshots(table => '{table}', "
        f"older_than => {_ts(now - timedelta(days=s.snapshot_retention_days))}, "
        f"retain_last => {s.snapshot_retain_last})"
    ).collect()[0]
    orphans = remove_orphan_files(spark, f"{cat}.{table}", now - timedelta(days=s.orphan_retention_days))
    report = {
        "table": table,
        "expired_data_files": expired["deleted_data_files_count"],
        "expired_manifest_files": expired["deleted_manifest_files_count"],
        "rewritten_data_files": rewritten["rewritten_data_files_count"],
        "added_data_files": rewritten["added_data_files_count"],
        "orphan_files_removed": orphans,
        "rewritten_manifests": manifests["rewritten_manifests_count"],
    }
    log.info("maintained %s: %s", table, report)
    return report


def run(spark: SparkSession, s: Settings, namespaces: list[str], now: datetime | None = None) -> list[dict]:
    """Maintain every table of ``namespaces``; one failing table does not stop the others."""
    now = now or datetime.now(UTC)
    reports, failures = [], []
    for namespace in namespaces:
        for table in tables(spark, s, namespace):
            try:
                reports.append(maintain_table(spark, s, table, now))
            except Exception as exc:  # report each failure, maintain the rest, fail at the end
                log.error("maintenance of %s failed: %s", table, exc)
                failures.append(f"{table}: {exc}")
    if failures:
        raise RuntimeError("maintenance failed for " + "; ".join(failures))
    return reports
