"""Load a load-date window of a staging table into ``lake.raw.<entity>``, replacing exactly that window.

One Iceberg commit per entity and window: ``overwrite(load_date in window)`` deletes the window's
partitions and adds the new files atomically, so a rerun (or a rerun after more rows were staged for
the same window) yields the same table as one clean run, and a killed job leaves the previous
snapshot in place. Rows whose payload cannot be parsed go to ``lake.ops.load_rejects`` (replaced per
entity and window the same way); every run appends one row to ``lake.ops.load_audit`` and fails if
rows read != rows written + rows rejected.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import psycopg

from osspulse.entities import ENTITIES, Entity, entity
from osspulse.lake import ops
from osspulse.load.extract import extra_columns, split, transform
from osspulse.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)

#: at most this many JDBC reads of a window, one hash bucket of the key each; every read scans the
#: window in Postgres, so a small window is read in fewer (one per JDBC_ROWS_PER_PARTITION staged rows)
JDBC_PARTITIONS = 4
JDBC_ROWS_PER_PARTITION = 100_000
JDBC_FETCH_SIZE = 5000
#: entities loaded at once by one application: a load is mostly waiting (JDBC, S3, catalog commits), so
#: two at a time keep the two cores busy; the shared lake.ops tables are written one at a time
ENTITY_PARALLELISM = 2
_OPS_WRITES = threading.Lock()


class LoadError(RuntimeError):
    """A load failed its own checks; the message says which entity and window and what to do."""


@dataclass(frozen=True)
class LoadResult:
    run_id: str
    namespace: str
    entity: str
    window_start: date
    window_end: date
    rows_read: int
    rows_written: int
    rows_rejected: int
    snapshot_id: int | None
    duration_s: float
    status: str  # loaded | empty

    def as_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["window_start"], d["window_end"] = str(self.window_start), str(self.window_end)
        return d


def _window_sql(start: date, end: date) -> str:
    return f"load_date >= date '{start.isoformat()}' and load_date < date '{end.isoformat()}'"


def count_staged(s: Settings, ent: Entity, start: date, end: date) -> int:
    with psycopg.connect(s.pg_dsn()) as conn:
        row = conn.execute(
            f"select count(*) from {ent.staging_table} where load_date >= %s and load_date < %s",  # noqa: S608
            (start, end),
        ).fetchone()
    return int(row[0])


def staging_columns(s: Settings, ent: Entity) -> list[str]:
    """Columns of the staging table as it is now (drift included), payload read as text."""
    schema, table = ent.staging_table.split(".")
    with psycopg.connect(s.pg_dsn()) as conn:
        rows = conn.execute(
            "select column_name from information_schema.columns where table_schema = %s and "
            "table_name = %s order by ordinal_position",
            (schema, table),
        ).fetchall()
    if not rows:
        raise LoadError(
            f"staging table {ent.staging_table} does not exist: run the ingest for {ent.source} first"
        )
    return [r[0] for r in rows]


def jdbc_partitions(rows: int) -> int:
    """How many JDBC reads for a window of ``rows`` staged rows: 1 up to JDBC_ROWS_PER_PARTITION rows,
    then one more per JDBC_ROWS_PER_PARTITION, at most JDBC_PARTITIONS."""
    return max(1, min(JDBC_PARTITIONS, -(-rows // JDBC_ROWS_PER_PARTITION)))


def read_staging(
    spark: SparkSession, s: Settings, ent: Entity, start: date, end: date, partitions: int = JDBC_PARTITIONS
) -> DataFrame:
    """A partitioned JDBC read of the window: one hash bucket of the key per partition."""
    cols = staging_columns(s, ent)
    select = ", ".join(f'"{c}"::text as "{c}"' if c == "payload" else f'"{c}"' for c in cols)
    key_expr = " || '/' || ".join(f'"{k}"::text' for k in ent.key_names)
    window = _window_sql(start, end)
    predicates = (
        [f"{window} and mod(abs(hashtext({key_expr})), {partitions}) = {i}" for i in range(partitions)]
        if partitions > 1
        else [window]
    )
    query = f"(select {select} from {ent.staging_table}) as staged"
    return spark.read.jdbc(
        url=s.pg_jdbc_url(),
        table=query,
        predicates=predicates,
        properties={
            "user": s.pg_user,
            "password": s.pg_password.get_secret_value(),
            "driver": "org.postgresql.Driver",
            "fetchsize": str(JDBC_FETCH_SIZE),
        },
    )


def raw_table(s: Settings, name: str, namespace: str = "raw") -> str:
    return f"{s.catalog_name}.{namespace}.{name}"


def ensure_tables(spark: SparkSession, s: Settings, ent: Entity, namespace: str = "raw") -> None:
    """Create the namespace and the entity's table, and ``lake.ops``'s load tables, if missing."""
    ensure_namespace(spark, s, namespace)
    spark.sql(ent.raw_ddl(s.catalog_name, "spark", schema=namespace))
    # a table created before a contract column was added (e.g. loaded_at) gets it now, metadata only
    table = raw_table(s, ent.name, namespace)
    existing = {f.name for f in spark.table(table).schema.fields}
    for name, typ in ent.raw_columns():
        if name not in existing:
            spark.sql(f"alter table {table} add column `{name}` {typ}")
            log.info("%s: added the contract column %s (metadata only)", table, name)
    ensure_ops_tables(spark, s)


def ensure_namespace(spark: SparkSession, s: Settings, namespace: str) -> None:
    """``create namespace if not exists``, one thread at a time: the JDBC catalog's check-then-insert
    is not atomic, and two entities loading side by side into a new namespace would both insert its
    properties (a unique-key violation that fails one of them)."""
    with _OPS_WRITES:
        spark.sql(f"create namespace if not exists {s.catalog_name}.{namespace}")


def ensure_ops_tables(spark: SparkSession, s: Settings) -> None:
    """``lake.ops.load_audit`` and ``load_rejects``, if missing (catalog look-ups only when they exist)."""
    with _OPS_WRITES:
        spark.sql(f"create namespace if not exists {s.catalog_name}.{ops.NAMESPACE}")
        spark.sql(ops.LOAD_AUDIT.spark_ddl(s))
        spark.sql(ops.LOAD_REJECTS.spark_ddl(s))


def evolve_schema(spark: SparkSession, table: str, df: DataFrame) -> list[str]:
    """Add the DataFrame's columns the table lacks (metadata only: no data file is rewritten)."""
    existing = {f.name for f in spark.table(table).schema.fields}
    added = []
    for field in df.schema.fields:
        if field.name not in existing:
            spark.sql(f"alter table {table} add column `{field.name}` {field.dataType.simpleString()}")
            added.append(field.name)
    if added:
        log.info("%s: new columns from staging %s (schema evolution, no data rewritten)", table, added)
    return added


def _current_snapshot(spark: SparkSession, table: str) -> int | None:
    rows = spark.sql(
        f"select snapshot_id from {table}.snapshots order by committed_at desc limit 1"
    ).collect()
    return rows[0][0] if rows else None


def load_entity(
    spark: SparkSession, s: Settings, ent: Entity, start: date, end: date, namespace: str = "raw"
) -> LoadResult:
    """Replace the ``[start, end)`` load-date window of ``lake.raw.<entity>`` with the staged rows."""
    from pyspark.sql import functions as F

    if end <= start:
        raise LoadError(f"empty window [{start}, {end}): --end must be after --start")
    t0 = time.monotonic()
    run_id = uuid.uuid4().hex
    table = raw_table(s, ent.name, namespace)
    staging_columns(s, ent)  # fails clearly when the staging table does not exist
    ensure_tables(spark, s, ent, namespace)
    rows_read = count_staged(s, ent, start, end)
    if rows_read == 0:
        log.warning("%s: no staged rows for load dates [%s, %s): nothing written", ent.name, start, end)
        result = LoadResult(
            run_id, namespace, ent.name, start, end, 0, 0, 0, None, time.monotonic() - t0, "empty"
        )
        _audit(spark, s, result)
        return result
    from pyspark import StorageLevel

    staged = read_staging(spark, s, ent, start, end, jdbc_partitions(rows_read))
    # Persisted so the JDBC read happens once for both outputs (raw rows and rejects). Every row of
    # this load carries the same loaded_at: dbt's bronze layer reads what was loaded after its last run.
    loaded_at = datetime.now(UTC)
    transformed = transform(staged, ent, loaded_at).persist(StorageLevel.MEMORY_AND_DISK)
    good, rejects = split(transformed, ent)
    evolve_schema(spark, table, good)
    window = (F.col("load_date") >= F.lit(start)) & (F.col("load_date") < F.lit(end))
    table_cols = [f.name for f in spark.table(table).schema.fields]
    aligned = good.select(*[c if c in good.columns else F.lit(None).alias(c) for c in table_cols])
    aligned.writeTo(table).overwrite(window)
    snapshot_id = _current_snapshot(spark, table)
    rejects_table = ops.LOAD_REJECTS.qualified(s)
    mine = window & (F.col("entity") == ent.name) & (F.col("namespace") == namespace)
    with _OPS_WRITES:  # one commit at a time on the shared table (no optimistic-commit conflicts)
        rejects.select(F.lit(namespace).alias("namespace"), "*").writeTo(rejects_table).overwrite(mine)
    rows_written = spark.table(table).where(window).count()
    rows_rejected = spark.table(rejects_table).where(mine).count()
    transformed.unpersist()
    result = LoadResult(
        run_id, namespace, ent.name, start, end, rows_read, rows_written, rows_rejected, snapshot_id,
        round(time.monotonic() - t0, 3), "loaded",
    )  # fmt: skip
    _audit(spark, s, result)
    if rows_rejected:
        log.warning(
            "%s: %d rows rejected (see %s where entity = '%s')",
            ent.name, rows_rejected, rejects_table, ent.name,
        )  # fmt: skip
    if rows_read != rows_written + rows_rejected:
        raise LoadError(
            f"{ent.name} [{start}, {end}): read {rows_read} staged rows but wrote {rows_written} and "
            f"rejected {rows_rejected}; staging changed during the load or rows were lost — rerun the load"
        )
    log.info(
        "%s [%s, %s): %d rows read, %d written, %d rejected, snapshot %s, %.1fs; extra staging columns: %s",
        ent.name, start, end, rows_read, rows_written, rows_rejected, snapshot_id, result.duration_s,
        extra_columns(staged, ent) or "none",
    )  # fmt: skip
    return result


def _audit(spark: SparkSession, s: Settings, r: LoadResult) -> None:
    from pyspark.sql import Row

    row = Row(
        run_id=r.run_id, namespace=r.namespace, entity=r.entity, window_start=r.window_start,
        window_end=r.window_end,
        rows_read=r.rows_read, rows_written=r.rows_written, rows_rejected=r.rows_rejected,
        snapshot_id=r.snapshot_id, duration_s=float(r.duration_s), status=r.status,
        finished_at=datetime.now(UTC),
    )  # fmt: skip
    with _OPS_WRITES:
        schema = spark.table(ops.LOAD_AUDIT.qualified(s)).schema
        spark.createDataFrame([row], schema=schema).writeTo(ops.LOAD_AUDIT.qualified(s)).append()


def load(
    spark: SparkSession,
    s: Settings,
    entities: list[str],
    start: date,
    end: date,
    namespace: str = "raw",
    parallelism: int = ENTITY_PARALLELISM,
) -> list[LoadResult]:
    """Load each entity (``parallelism`` at a time, in this one Spark application); every entity is
    attempted, then the failures are raised together."""
    names = list(dict.fromkeys(entities))
    ensure_ops_tables(spark, s)
    ensure_namespace(spark, s, namespace)

    def one(name: str) -> LoadResult | str:
        try:
            return load_entity(spark, s, entity(name), start, end, namespace)
        except Exception as exc:  # keep loading the others; report every failure at the end
            log.error("loading %s [%s, %s) failed: %s", name, start, end, exc)
            return f"{name}: {exc}"

    with ThreadPoolExecutor(max_workers=max(1, parallelism), thread_name_prefix="load") as pool:
        outcomes = list(pool.map(one, names))
    failures = [o for o in outcomes if isinstance(o, str)]
    if failures:
        raise LoadError("; ".join(failures))
    return [o for o in outcomes if isinstance(o, LoadResult)]


def all_entity_names() -> list[str]:
    return [e.name for e in ENTITIES]
