"""A pipeline lane: the whole pipeline (ingest -> load -> dbt) on a private copy of every store.

Each lane has its own staging database, its own raw namespace (``lake.f_<name>_raw``) and its own dbt
schemas (``lake.f_<name>_bronze|silver|gold``), and reads the APIs from an in-process simulator over
the fault suite's dataset. The code is the production code (the functions the Airflow tasks call), so
a fault injected into a lane and a clean lane can be compared gold table by gold table.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import psycopg
from psycopg import sql

from osspulse.entities import ENTITIES
from osspulse.lake.trino import trino_connection
from osspulse.pipeline import GOLD_TABLES
from osspulse.settings import Settings

log = logging.getLogger("faults")

#: gold tables compared between lanes: every one the demo checks (data_health_sources is not among them:
#: it reports fetch times, which differ by design)
COMPARED_GOLD = GOLD_TABLES


@dataclass
class Lane:
    name: str
    base: Settings
    dataset: Path
    api_url: str
    workdir: Path
    #: settings of this lane alone (e.g. a shorter client timeout for the slow-responses lane)
    overrides: dict[str, object] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def db(self) -> str:
        return f"osspulse_f_{self.name}"

    @property
    def raw_namespace(self) -> str:
        return f"f_{self.name}_raw"

    @property
    def prefix(self) -> str:
        return f"f_{self.name}_"

    @property
    def values(self) -> dict[str, object]:
        """The settings this lane changes: its own stores and simulator, quick retries, its overrides."""
        return {
            "pg_staging_db": self.db,
            "github_api_url": self.api_url,
            "pypistats_url": self.api_url,
            "pypi_url": self.api_url,
            "tracked": self.dataset / "tracked.yml",
            "pypistats_requests_per_minute": 100_000,
            "http_backoff_base_s": 0.05,
            "http_backoff_max_s": 1.0,
            "github_secondary_wait_s": 1.0,
            "http_timeout_s": 5.0,
            **self.overrides,
        }

    @property
    def settings(self) -> Settings:
        return self.base.model_copy(update=self.values)

    def env(self) -> dict[str, str]:
        """The lane's settings as environment variables (for subprocess runs of the same code)."""
        return {**os.environ, **{f"OSSPULSE_{name.upper()}": str(v) for name, v in self.values.items()}}

    # --- lifecycle ------------------------------------------------------------------------------------
    def create(self) -> Lane:
        with psycopg.connect(self.base.pg_dsn("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(self.db)))
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(self.db)))
        self.drop_lake()
        self.workdir.mkdir(parents=True, exist_ok=True)
        return self

    def drop_lake(self) -> None:
        with trino_connection(self.base) as conn:
            cur = conn.cursor()
            for schema in (
                self.raw_namespace,
                *(f"{self.prefix}{layer}" for layer in ("bronze", "silver", "gold")),
            ):
                cur.execute(f"drop schema if exists {self.base.catalog_name}.{schema} cascade")
                cur.fetchall()

    def destroy(self) -> None:
        self.drop_lake()
        with psycopg.connect(self.base.pg_dsn("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(self.db)))
        shutil.rmtree(self.workdir, ignore_errors=True)

    # --- the pipeline ---------------------------------------------------------------------------------
    def _timed(self, stage: str, t0: float) -> None:
        self.timings[stage] = self.timings.get(stage, 0.0) + time.monotonic() - t0

    def ingest(self, load_date: date) -> None:
        """Both sources; raises (after ingesting what it can) if any repo or package failed."""
        from osspulse.ingest.github import ingest_github
        from osspulse.ingest.pypi import ingest_pypi

        t0 = time.monotonic()
        try:
            ingest_github(self.settings, None, load_date)
        finally:
            try:
                ingest_pypi(self.settings, None, load_date)
            finally:
                self._timed("ingest", t0)

    def load(self, spark, start: date, end: date | None = None) -> None:
        from osspulse.load import raw

        t0 = time.monotonic()
        try:
            names = [e.name for e in ENTITIES]
            raw.load(spark, self.settings, names, start, end or start + timedelta(days=1), self.raw_namespace)
        finally:
            self._timed("load", t0)

    def dbt(self, *args: str, check: bool = True):
        from osspulse.transform.dbt import DbtTarget, run_dbt

        t0 = time.monotonic()
        try:
            target = DbtTarget(schema_prefix=self.prefix, raw_schema=self.raw_namespace, workdir=self.workdir,
                               run_tag=f"faults-{self.name}")  # fmt: skip
            return run_dbt(self.settings, list(args), target, capture=True, check=check)
        finally:
            self._timed("transform", t0)

    def transform(self) -> None:
        """Seeds and models in one ``dbt build`` (data and unit tests run in their own suites; here the
        numbers are compared): one dbt start-up per lane instead of two."""
        self.dbt("build", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test")

    def run(self, spark, load_date: date) -> None:
        self.ingest(load_date)
        self.load(spark, load_date)
        self.transform()

    def cli(self, *args: str, **kwargs) -> subprocess.Popen:
        """Start ``osspulse <args>`` in a subprocess with the lane's settings (to be killed).

        Its output goes to ``<workdir>/cli.log``: a pipe nobody reads while the test waits would fill
        up with the retries' stack traces and block the process.
        """
        with (self.workdir / "cli.log").open("a") as out:
            return subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "osspulse.cli", *args],
                env=self.env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                **kwargs,
            )

    def cli_log(self) -> str:
        path = self.workdir / "cli.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def loads_committed(self) -> int:
        """Entities whose load into this lane's raw namespace committed (rows of ``lake.ops.load_audit``)."""
        with trino_connection(self.base) as conn:
            cur = conn.cursor()
            cur.execute(
                f"select count(*) from {self.base.catalog_name}.ops.load_audit where namespace = ?",  # noqa: S608
                (self.raw_namespace,),
            )
            return int(cur.fetchone()[0])

    # --- comparison -----------------------------------------------------------------------------------
    def fingerprint(self, exclude: tuple[str, ...] = ()) -> dict[str, str]:
        return gold_fingerprint(self.base, self.prefix, exclude)

    def staging_dump(self) -> dict[str, set[tuple]]:
        """Every staging row as (key..., payload) — what the API said, without fetch bookkeeping."""
        dump = {}
        with psycopg.connect(self.settings.pg_dsn()) as conn:
            for e in ENTITIES:
                cols = ", ".join(e.key_names)
                rows = conn.execute(f"select {cols}, payload::text from {e.staging_table}").fetchall()  # noqa: S608
                dump[e.name] = set(rows)
        return dump


def gold_fingerprint(s: Settings, prefix: str = "", exclude: tuple[str, ...] = ()) -> dict[str, str]:
    """An order-independent hash (and row count) of every compared gold table: all columns but ``exclude``."""
    prints = {}
    with trino_connection(s) as conn:
        cur = conn.cursor()
        for table in COMPARED_GOLD:
            cur.execute(f"select * from {s.catalog_name}.{prefix}gold.{table}")  # noqa: S608
            fetched = cur.fetchall()
            keep = [i for i, col in enumerate(cur.description) if col[0] not in exclude]
            rows = sorted(repr(tuple(r[i] for i in keep)) for r in fetched)
            prints[table] = hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16] + f"/{len(rows)}"
    return prints


def diff(expected: dict[str, str], actual: dict[str, str]) -> dict[str, tuple[str, str]]:
    return {t: (expected[t], actual.get(t, "missing")) for t in expected if expected[t] != actual.get(t)}
