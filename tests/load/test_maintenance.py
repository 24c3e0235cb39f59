"""Iceberg maintenance on a real table: snapshots expired, small files compacted, orphans removed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from osspulse.lake.storage import s3_client
from osspulse.load import maintenance

pytestmark = pytest.mark.integration


def test_maintenance_expires_compacts_and_removes_orphans(spark, stack, lake_namespace):
    s = stack.model_copy(update={"snapshot_retention_days": 0, "snapshot_retain_last": 1})
    table = f"{s.catalog_name}.{lake_namespace}.small_files"
    spark.sql(f"create namespace if not exists {s.catalog_name}.{lake_namespace}")
    spark.sql(f"create table {table} (id int, d date) using iceberg partitioned by (d)")
    for i in range(6):  # six commits, six small files in one partition
        spark.sql(f"insert into {table} values ({i}, date '2026-01-01')")
    location = spark.sql(f"describe table extended {table}").where("col_name = 'Location'").first().data_type
    bucket, _, prefix = location.removeprefix("s3://").partition("/")
    orphan = f"{prefix}/data/d=2026-01-01/orphan-from-a-crashed-writer.parquet"
    s3_client(s).put_object(Bucket=bucket, Key=orphan, Body=b"not referenced by any snapshot")

    # run "ten days later" so the orphan-age guard (OSSPULSE_ORPHAN_RETENTION_DAYS) lets it go
    reports = maintenance.run(spark, s, [lake_namespace], now=datetime.now(UTC) + timedelta(days=10))

    report = next(r for r in reports if r["table"].endswith("small_files"))
    assert report["rewritten_data_files"] == 6 and report["added_data_files"] == 1
    assert report["orphan_files_removed"] >= 1
    assert spark.sql(f"select count(*) from {table}.snapshots").first()[0] == 1
    assert spark.sql(f"select count(*) from {table}.files").first()[0] == 1
    assert sorted(r.id for r in spark.table(table).collect()) == list(range(6))
    keys = {o["Key"] for o in s3_client(s).list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])}
    assert orphan not in keys
