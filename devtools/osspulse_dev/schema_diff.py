"""Compare the tables of two schemas row by row (an incremental build against a full refresh)."""

from __future__ import annotations

from dataclasses import dataclass

from osspulse.lake.trino import trino_connection
from osspulse.settings import Settings

#: doubles are compared after rounding to this many decimals (sums and means computed in another
#: order may differ in the last bits)
DOUBLE_DECIMALS = 9
#: lineage, not data: when the dbt run that wrote the row started
IGNORED_COLUMNS = ("transformed_at",)


@dataclass(frozen=True)
class TableDiff:
    table: str
    rows_left: int
    rows_right: int
    only_left: int
    only_right: int

    @property
    def equal(self) -> bool:
        return self.only_left == 0 and self.only_right == 0 and self.rows_left == self.rows_right


def list_tables(settings: Settings, schema: str) -> list[str]:
    with trino_connection(settings) as conn:
        cur = conn.cursor()
        cur.execute(
            f"select table_name from {settings.catalog_name}.information_schema.tables "
            f"where table_schema = '{schema}' and table_type = 'BASE TABLE' order by table_name"
        )
        return [row[0] for row in cur.fetchall()]


def _select_list(cur, catalog: str, schema: str, table: str) -> str:
    cur.execute(
        f"select column_name, data_type from {catalog}.information_schema.columns "
        f"where table_schema = '{schema}' and table_name = '{table}' order by ordinal_position"
    )
    columns = []
    for name, data_type in cur.fetchall():
        if name in IGNORED_COLUMNS:
            continue
        if data_type in ("double", "real"):
            columns.append(f'round("{name}", {DOUBLE_DECIMALS}) as "{name}"')
        else:
            columns.append(f'"{name}"')
    if not columns:
        raise ValueError(f"{catalog}.{schema}.{table} does not exist or has no columns")
    return ", ".join(columns)


def compare_table(settings: Settings, left_schema: str, right_schema: str, table: str) -> TableDiff:
    """Rows of ``table`` in one schema and not in the other (multiset ``except all``, both ways)."""
    catalog = settings.catalog_name
    with trino_connection(settings) as conn:
        cur = conn.cursor()
        cols = _select_list(cur, catalog, left_schema, table)
        left = f"select {cols} from {catalog}.{left_schema}.{table}"
        right = f"select {cols} from {catalog}.{right_schema}.{table}"
        cur.execute(
            f"select (select count(*) from {catalog}.{left_schema}.{table}), "
            f"(select count(*) from {catalog}.{right_schema}.{table}), "
            f"(select count(*) from ({left} except all {right})), "
            f"(select count(*) from ({right} except all {left}))"
        )
        rows_left, rows_right, only_left, only_right = cur.fetchall()[0]
    return TableDiff(table, rows_left, rows_right, only_left, only_right)


def compare_schemas(
    settings: Settings, left_schema: str, right_schema: str, tables: list[str] | None = None
) -> list[TableDiff]:
    """Compare every table of ``left_schema`` (or ``tables``) with the same table in ``right_schema``."""
    names = tables if tables is not None else list_tables(settings, left_schema)
    return [compare_table(settings, left_schema, right_schema, name) for name in names]
