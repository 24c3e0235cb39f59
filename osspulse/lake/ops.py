"""``lake.ops``: the operational tables, written by the pipeline's Python and Spark code, never by dbt.

* ``load_audit``: one row per entity and load run (window, rows read/written/rejected, snapshot, time);
* ``load_rejects``: staged rows the load could not type (replaced per entity and window);
* ``dbt_results``: one row per dbt node (model, test, seed, source freshness) of each ``transform_dbt``
  run, from dbt's ``run_results.json``;
* ``pipeline_runs``: the latest runs of every OSS Pulse DAG (replaced at each record);
* ``alert_deliveries``: one row per alert event or weekly digest delivered to a recipient (appended by
  :mod:`osspulse.alerts.delivery` after the send succeeded: what is not here is still to send).

Gold stays "what dbt builds": dbt declares ``ops`` as a source, and the gold views over it are what the
dashboard's Data health page reads. One declaration per table below serves Spark's DDL and PyIceberg's
schema alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from osspulse.settings import Settings

NAMESPACE = "ops"


@dataclass(frozen=True)
class OpsTable:
    name: str
    columns: tuple[tuple[str, str], ...]  # (name, Spark type)
    partition_by: tuple[str, ...] = ()

    def qualified(self, s: Settings) -> str:
        return f"{s.catalog_name}.{NAMESPACE}.{self.name}"

    def spark_ddl(self, s: Settings) -> str:
        cols = ", ".join(f"{n} {t}" for n, t in self.columns)
        parts = f" partitioned by ({', '.join(self.partition_by)})" if self.partition_by else ""
        return (
            f"create table if not exists {self.qualified(s)} ({cols}) using iceberg{parts} "
            "tblproperties ('format-version'='2')"
        )

    def trino_columns(self) -> list[tuple[str, str]]:
        """The columns in Trino's types (dbt's ``ops`` source declares these; tests create scratch copies)."""
        types = {
            "string": "varchar",
            "bigint": "bigint",
            "double": "double",
            "date": "date",
            "timestamp": "timestamp(6) with time zone",
        }
        return [(n, types[t]) for n, t in self.columns]

    def trino_ddl(self, schema: str, catalog: str = "lake") -> str:
        """``create table if not exists`` of this table in ``catalog.schema`` through Trino."""
        cols = ", ".join(f"{n} {t}" for n, t in self.trino_columns())
        return f"create table if not exists {catalog}.{schema}.{self.name} ({cols})"

    def arrow_schema(self) -> Any:
        import pyarrow as pa

        types = {
            "string": pa.string(),
            "bigint": pa.int64(),
            "double": pa.float64(),
            "date": pa.date32(),
            "timestamp": pa.timestamp("us", tz="UTC"),
        }
        return pa.schema([(n, types[t]) for n, t in self.columns])


LOAD_AUDIT = OpsTable(
    "load_audit",
    (
        ("run_id", "string"),
        ("namespace", "string"),  # the namespace loaded: raw (tests and benchmarks load their own)
        ("entity", "string"),
        ("window_start", "date"),
        ("window_end", "date"),
        ("rows_read", "bigint"),
        ("rows_written", "bigint"),
        ("rows_rejected", "bigint"),
        ("snapshot_id", "bigint"),
        ("duration_s", "double"),
        ("status", "string"),
        ("finished_at", "timestamp"),
    ),
)
LOAD_REJECTS = OpsTable(
    "load_rejects",
    (
        ("namespace", "string"),
        ("entity", "string"),
        ("record_key", "string"),
        ("payload", "string"),
        ("load_date", "date"),
        ("fetched_at", "timestamp"),
        ("reason", "string"),
    ),
    partition_by=("entity", "load_date"),
)
DBT_RESULTS = OpsTable(
    "dbt_results",
    (
        ("run_id", "string"),  # the transform_dbt DAG run (or the CLI invocation)
        ("invocation_id", "string"),
        ("generated_at", "timestamp"),
        ("unique_id", "string"),
        ("resource_type", "string"),  # model | test | seed | source | unit_test
        ("name", "string"),
        ("model", "string"),  # the model a test or unit test checks; the node itself otherwise
        ("status", "string"),  # dbt's: success | error | fail | warn | pass | skipped | runtime error ...
        ("failures", "bigint"),
        ("message", "string"),
        ("execution_time_s", "double"),
    ),
)
PIPELINE_RUNS = OpsTable(
    "pipeline_runs",
    (
        ("dag_id", "string"),
        ("run_id", "string"),
        ("run_type", "string"),
        ("state", "string"),
        ("start_date", "timestamp"),
        ("end_date", "timestamp"),
        ("duration_s", "double"),
        ("recorded_at", "timestamp"),
    ),
)
ALERT_DELIVERIES = OpsTable(
    "alert_deliveries",
    (
        ("recipient", "string"),  # a recipient of the alert rules
        ("channel", "string"),  # email | webhook
        ("message", "string"),  # event | digest
        ("event_id", "string"),  # gold.alert_events.event_id (event messages)
        ("digest_week", "date"),  # the Monday of the week a digest covers (digest messages)
        ("delivered_at", "timestamp"),
        ("run_id", "string"),  # the Airflow run (or CLI invocation) that delivered it
    ),
)
TABLES: tuple[OpsTable, ...] = (LOAD_AUDIT, LOAD_REJECTS, DBT_RESULTS, PIPELINE_RUNS, ALERT_DELIVERIES)


def ensure_tables(catalog: Any) -> None:
    """Create ``ops`` and its tables with PyIceberg when missing (idempotent; run at ``stack up``)."""
    from pyiceberg.exceptions import NamespaceAlreadyExistsError

    try:
        catalog.create_namespace(NAMESPACE)
    except NamespaceAlreadyExistsError:
        pass
    for table in TABLES:
        catalog.create_table_if_not_exists(
            f"{NAMESPACE}.{table.name}",
            schema=table.arrow_schema(),
            properties={"format-version": "2"},
        )


def replace_rows(
    s: Settings, table: OpsTable, rows: Iterable[Mapping[str, Any]], *, where: tuple[str, str] | None = None
) -> int:
    """Replace the rows of ``table`` where ``column == value`` (or all of them) by ``rows``, atomically.

    One Iceberg commit (PyIceberg's overwrite with a filter): readers see the old rows or the new ones,
    and a rerun for the same key gives the same table.
    """
    import pyarrow as pa
    from pyiceberg.expressions import AlwaysTrue, EqualTo

    from osspulse.lake.catalog import load_catalog

    catalog = load_catalog(s)
    ensure_tables(catalog)
    iceberg_table = catalog.load_table(f"{NAMESPACE}.{table.name}")
    schema = table.arrow_schema()
    data = pa.Table.from_pylist([{n: r.get(n) for n in schema.names} for r in rows], schema=schema)
    condition = EqualTo(where[0], where[1]) if where else AlwaysTrue()
    iceberg_table.overwrite(data, overwrite_filter=condition)
    return data.num_rows


def append_rows(s: Settings, table: OpsTable, rows: Iterable[Mapping[str, Any]]) -> int:
    """Append ``rows`` to ``table`` in one Iceberg commit (the alert delivery ledger: rows only grow)."""
    import pyarrow as pa

    from osspulse.lake.catalog import load_catalog

    rows = list(rows)
    if not rows:
        return 0
    catalog = load_catalog(s)
    ensure_tables(catalog)
    iceberg_table = catalog.load_table(f"{NAMESPACE}.{table.name}")
    schema = table.arrow_schema()
    iceberg_table.append(
        pa.Table.from_pylist([{n: r.get(n) for n in schema.names} for r in rows], schema=schema)
    )
    return len(rows)
