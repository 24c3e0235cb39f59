"""Pure transformations of staged rows into typed raw rows (unit-tested on local DataFrames).

A staged row is ``(key columns..., payload string, load_date, fetched_at[, extra columns])``. The raw
row adds every typed column of the entity, extracted from the payload. A row is *rejected* (with a
reason) when its payload is not a JSON object, or a required column is present but cannot be cast.

The payload is parsed once per row (``from_json`` with a schema made of the entity's column paths, every
leaf read as text), not once per column: extraction is most of the load's CPU. A leaf read as text
holds a number's or a boolean's JSON text, which is then cast (``try_cast``: bad input -> null).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from osspulse.entities import Column, Entity

if TYPE_CHECKING:
    from pyspark.sql import Column as SparkColumn
    from pyspark.sql import DataFrame

BASE_COLUMNS = ("payload", "load_date", "fetched_at")
#: stamped by the load (not a staging column): when the load that wrote the row ran
LOADED_AT = "loaded_at"
CORRUPT_FIELD = "__corrupt_payload"
REJECT_COLUMN = "_reject_reason"


def _raw(column: Column) -> str:
    return f"__raw_{column.name}"


def _steps(column: Column) -> tuple[str, ...]:
    """``$.commit.author.date`` -> ``("commit", "author", "date")`` (the paths entities.py uses)."""
    if not column.path.startswith("$."):
        raise ValueError(f"{column.name}: only $.a.b paths are supported, not {column.path!r}")
    return tuple(column.path[2:].split("."))


def payload_schema(entity: Entity):  # noqa: ANN201 - a pyspark StructType
    """The struct ``from_json`` parses a payload into: every column path, leaves as strings.

    A path that is both a leaf and a parent (``$.pull_request`` and ``$.pull_request.merged_at``) is a
    struct: the leaf test is then "the object is present".
    """
    from pyspark.sql.types import StringType, StructField, StructType

    tree: dict = {}
    for column in entity.columns:
        node = tree
        for step in _steps(column):
            node = node.setdefault(step, {})

    def build(node: dict) -> StructType:
        return StructType(
            [StructField(k, build(v) if v else StringType(), True) for k, v in sorted(node.items())]
        )

    # malformed JSON (e.g. a truncated object) lands in this field instead of becoming nulls
    return build(tree).add(CORRUPT_FIELD, StringType(), True)


def _typed(column: Column) -> SparkColumn:
    """The typed value of a payload column, from its raw string (``try_cast``: bad input -> null)."""
    from pyspark.sql import functions as F

    raw = F.col(_raw(column))
    if column.exists:
        return raw.isNotNull()
    if column.type == "string":
        return raw
    return F.expr(f"try_cast(`{_raw(column)}` as {column.type})")


def extra_columns(df: DataFrame, entity: Entity) -> list[str]:
    """Staging columns beyond the contract (schema drift): carried into raw as they are."""
    known = {*entity.key_names, *BASE_COLUMNS, LOADED_AT}
    return [c for c in df.columns if c not in known]


def transform(df: DataFrame, entity: Entity, loaded_at: datetime | None = None) -> DataFrame:
    """Typed columns for ``entity`` in raw-table order, plus ``_reject_reason`` (null for good rows).

    ``loaded_at`` stamps every row (default: the query's current timestamp).
    """
    from pyspark.sql import functions as F

    parsed = df.withColumn(
        "__parsed",
        F.from_json(
            F.col("payload"),
            payload_schema(entity),
            {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT_FIELD},
        ),
    )
    with_raw = parsed.select(
        "*",
        *(F.col("__parsed." + ".".join(f"`{s}`" for s in _steps(c))).alias(_raw(c)) for c in entity.columns),
    )
    out = with_raw.select("*", *(_typed(c).alias(c.name) for c in entity.columns))
    not_object = ~F.ltrim(F.col("payload")).startswith("{")
    reasons = [
        F.when(F.col("payload").isNull() | not_object, F.lit("payload is not a JSON object")),
        F.when(
            ~not_object & F.col(f"__parsed.{CORRUPT_FIELD}").isNotNull(), F.lit("payload is not valid JSON")
        ),
    ]
    for c in entity.columns:
        if c.required and not c.exists and c.type != "string":
            reasons.append(
                F.when(
                    F.col(_raw(c)).isNotNull() & F.col(c.name).isNull(),
                    F.concat(
                        F.lit(f"cannot parse {c.path} as {c.type}: '"),
                        F.substring(F.col(_raw(c)), 1, 80),
                        F.lit("'"),
                    ),
                )
            )
    reason = F.concat_ws("; ", *reasons)
    out = out.withColumn(REJECT_COLUMN, F.when(reason != "", reason))
    stamp = F.current_timestamp() if loaded_at is None else F.lit(loaded_at).cast("timestamp")
    out = out.withColumn(LOADED_AT, stamp)
    ordered = [
        *entity.key_names,
        *(c.name for c in entity.columns),
        *BASE_COLUMNS,
        LOADED_AT,
        *extra_columns(df, entity),
    ]
    return out.select(*ordered, REJECT_COLUMN)


def split(out: DataFrame, entity: Entity) -> tuple[DataFrame, DataFrame]:
    """Split a :func:`transform` result into (good raw rows, ``_rejects`` rows)."""
    from pyspark.sql import functions as F

    good = out.where(F.col(REJECT_COLUMN).isNull()).drop(REJECT_COLUMN)
    key_json = F.to_json(F.struct(*(F.col(k) for k in entity.key_names)))
    rejects = out.where(F.col(REJECT_COLUMN).isNotNull()).select(
        F.lit(entity.name).alias("entity"),
        key_json.alias("record_key"),
        F.col("payload"),
        F.col("load_date"),
        F.col("fetched_at"),
        F.col(REJECT_COLUMN).alias("reason"),
    )
    return good, rejects
