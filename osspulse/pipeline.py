"""The pipeline as a whole: trigger it through Airflow and wait for fresh gold, count what it holds,
reset its data.

Used by ``osspulse demo`` (the simulator package), the end-to-end tests and ``make bench-e2e``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import psycopg

from osspulse.entities import ENTITIES
from osspulse.orchestration.dag_ids import INGEST, LOAD, PIPELINE_DAGS, TRANSFORM
from osspulse.settings import Settings
from osspulse.transform.project import gold_models, gold_tables

log = logging.getLogger(__name__)

#: the gold metric tables, as the dbt project declares them (tag `metric`; osspulse.transform.project)
GOLD_TABLES = gold_tables("metric")


DISPOSABLE_MARKER = "DISPOSABLE"


class PipelineError(RuntimeError):
    pass


def mark_disposable(s: Settings, reason: str) -> None:
    """Mark a stack's state directory as one whose pipeline data may be reset (the tests' own stack)."""
    from osspulse.stack import fs

    fs.check_state_dir(s.state_dir)
    fs.write_file(s.state_dir / DISPOSABLE_MARKER, reason + "\n")


@dataclass
class StageTimes:
    """Wall time of each stage of one pipeline pass (trigger -> fresh gold)."""

    ingest_s: float = 0.0
    load_s: float = 0.0
    transform_s: float = 0.0
    total_s: float = 0.0
    runs: dict[str, int] = field(default_factory=dict)


def run_pipeline(
    s: Settings, *, load_date: date | None = None, timeout: float = 2400.0, conf: dict | None = None
) -> StageTimes:
    """Trigger the ingest and wait for the Asset-driven load and transform; returns stage times.

    ``conf`` adds params of the ingest run (repos, packages, sources).
    """
    from osspulse.orchestration.airflow_api import AirflowClient

    times = StageTimes()
    conf = {**(conf or {}), **({"load_date": load_date.isoformat()} if load_date else {})}
    with AirflowClient(s) as api:
        api.wait_for_dags(list(PIPELINE_DAGS))
        for dag_id in PIPELINE_DAGS:
            api.unpause(dag_id)
        t0 = time.monotonic()
        since = datetime.now(UTC)
        run = api.trigger(INGEST, conf)
        api.wait(run.dag_id, run.run_id, timeout=timeout)
        times.ingest_s = time.monotonic() - t0
        log.info("ingest done in %.0fs; waiting for load_iceberg (Asset-driven)", times.ingest_s)
        t1 = time.monotonic()
        loads = api.wait_settled(LOAD, since, timeout=timeout)
        times.load_s = time.monotonic() - t1
        log.info("load done in %.0fs (%d runs); waiting for transform_dbt", times.load_s, len(loads))
        t2 = time.monotonic()
        transforms = api.wait_settled(TRANSFORM, since, timeout=timeout)
        times.transform_s = time.monotonic() - t2
        times.total_s = time.monotonic() - t0
        times.runs = {LOAD: len(loads), TRANSFORM: len(transforms)}
    log.info(
        "pipeline: ingest %.0fs, load %.0fs, transform %.0fs, total %.0fs",
        times.ingest_s, times.load_s, times.transform_s, times.total_s,
    )  # fmt: skip
    return times


def reset_pipeline_data(s: Settings, *, force: bool = False) -> None:
    """Empty staging (tables, bookmarks) and drop the lake's namespaces (Trino purges the files).

    Refused, naming what it would delete, unless the stack's state directory is marked disposable
    (:func:`mark_disposable`: the tests' own stack) or ``force`` is given (an explicit user choice).
    """
    if not force and not (s.state_dir / DISPOSABLE_MARKER).is_file():
        raise PipelineError(
            f"refusing to delete the pipeline data of the stack in {s.state_dir}: Postgres staging "
            f"(database {s.pg_staging_db} on port {s.pg_port}) and the lake namespaces raw, bronze, silver, "
            "gold and ops. It is not a disposable (test) stack; pass force=True (or the command's --force) "
            "if you really mean it"
        )
    from osspulse.lake.trino import trino_connection
    from osspulse.stack import bootstrap

    with psycopg.connect(s.pg_dsn(), autocommit=True) as conn:
        conn.execute("drop schema if exists staging cascade")
    bootstrap.postgres_databases(s)
    with trino_connection(s) as conn:
        cur = conn.cursor()
        for namespace in ("raw", "bronze", "silver", "gold", "ops"):
            cur.execute(f"drop schema if exists {s.catalog_name}.{namespace} cascade")
            cur.fetchall()


def gold_counts(s: Settings, prefix: str = "") -> dict[str, int]:
    """Rows of every gold table (of the dbt schemas named ``<prefix>gold``: tests' private copies)."""
    from osspulse.lake.trino import trino_connection

    counts = {}
    with trino_connection(s) as conn:
        cur = conn.cursor()
        for table in GOLD_TABLES:
            cur.execute(f"select count(*) from {s.catalog_name}.{prefix}gold.{table}")  # noqa: S608
            counts[table] = cur.fetchone()[0]
    return counts


def staging_counts(s: Settings) -> dict[str, int]:
    counts = {}
    with psycopg.connect(s.pg_dsn()) as conn:
        for e in ENTITIES:
            try:
                counts[e.name] = conn.execute(f"select count(*) from {e.staging_table}").fetchone()[0]  # noqa: S608
            except psycopg.errors.UndefinedTable:
                conn.rollback()
                counts[e.name] = 0
    return counts


def raw_counts(s: Settings, namespace: str = "raw") -> dict[str, int]:
    """Rows of every raw entity table (0 for one never loaded)."""
    from osspulse.lake.trino import trino_connection

    counts = {}
    with trino_connection(s) as conn:
        cur = conn.cursor()
        cur.execute(
            f"select table_name from {s.catalog_name}.information_schema.tables where table_schema = ?",
            (namespace,),
        )
        existing = {row[0] for row in cur.fetchall()}
        for e in ENTITIES:
            if e.name not in existing:  # never loaded (e.g. an entity the ingest does not fetch yet)
                counts[e.name] = 0
                continue
            cur.execute(f"select count(*) from {s.catalog_name}.{namespace}.{e.name}")  # noqa: S608
            counts[e.name] = cur.fetchone()[0]
    return counts


def check_gold(s: Settings, prefix: str = "", raw_namespace: str = "raw") -> dict[str, int]:
    """Counts of the gold metric tables; an empty one is a failure unless it is legitimately empty:
    every raw entity it is built from (its yml's ``empty_without``) is empty too -- no issues tracked,
    repositories without releases, a repositories-only or packages-only tracked set."""
    counts = gold_counts(s, prefix)
    empty = [t for t, n in counts.items() if n == 0]
    if not empty:
        return counts
    from osspulse.tracked import tracked_from_settings

    raw = {**raw_counts(s, raw_namespace), "tracked_projects": len(tracked_from_settings(s).projects)}
    models = gold_models()
    unexpected = [t for t in empty if any(raw.get(e, 0) > 0 for e in models[t].empty_without)]
    if unexpected:
        reasons = "; ".join(
            f"{t} (built from {', '.join(e for e in models[t].empty_without if raw.get(e, 0))}, "
            "which hold rows)"
            for t in unexpected
        )
        raise PipelineError(f"gold tables without rows: {reasons}. Check the transform_dbt run's log.")
    log.info("gold tables legitimately empty (their raw entities are): %s", ", ".join(empty))
    return counts
