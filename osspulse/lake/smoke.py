"""The stack's smoke job: Spark writes ``lake.smoke.t`` (partitioned by a date); Trino, PyIceberg read it."""

from __future__ import annotations

import logging
import time

from osspulse.lake.catalog import load_catalog
from osspulse.lake.spark import spark_session
from osspulse.lake.trino import trino_connection
from osspulse.settings import Settings

log = logging.getLogger(__name__)

ROWS = [(i, f"row-{i}", f"2026-01-{1 + i % 3:02d}") for i in range(30)]


def run(s: Settings) -> dict[str, object]:
    t0 = time.monotonic()
    spark = spark_session(s, "osspulse-smoke")
    try:
        spark.sql(f"create namespace if not exists {s.catalog_name}.smoke")
        df = spark.createDataFrame(ROWS, "id int, name string, day string").selectExpr(
            "id", "name", "cast(day as date) as day"
        )
        spark.sql(
            f"create table if not exists {s.catalog_name}.smoke.t (id int, name string, day date) "
            "using iceberg partitioned by (day) tblproperties ('format-version'='2')"
        )
        # overwrite the partitions we write: running the job twice leaves the same table
        df.writeTo(f"{s.catalog_name}.smoke.t").overwritePartitions()
        spark_count = spark.table(f"{s.catalog_name}.smoke.t").count()
    finally:
        spark.stop()
    with trino_connection(s) as conn:
        cur = conn.cursor()
        cur.execute(f"select count(*), count(distinct day) from {s.catalog_name}.smoke.t")
        trino_count, trino_days = cur.fetchone()
    table = load_catalog(s).load_table("smoke.t")
    pyiceberg_count = table.scan().to_arrow().num_rows
    result = {
        "spark_rows": spark_count,
        "trino_rows": trino_count,
        "trino_partitions": trino_days,
        "pyiceberg_rows": pyiceberg_count,
        "seconds": round(time.monotonic() - t0, 1),
    }
    log.info("smoke: %s", result)
    if not spark_count == trino_count == pyiceberg_count == len(ROWS):
        raise RuntimeError(f"engines disagree on lake.smoke.t: {result}")
    return result
