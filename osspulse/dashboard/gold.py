"""Trino access for the dashboard: one connection, the read-only dashboard user, gold tables only.

Every value that comes from the page travels as a qmark parameter (``?``): the trino client sends
``EXECUTE IMMEDIATE '<sql>' USING <literals>`` and Trino binds the values, so a filter value is data,
never SQL. Table names are identifiers and cannot be parameters; they come only from
:data:`GOLD_TABLES` (the dbt project's gold models) through :meth:`GoldReader.table`. Nothing here
imports Streamlit, so the layer is unit-testable and the benchmark times queries through exactly the
code the pages use.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from osspulse.settings import Settings
from osspulse.transform.project import gold_tables

log = logging.getLogger(__name__)

#: The tables the dashboard may read: dbt's gold models, as the dbt project declares them (the
#: manifest, or the models' yml; osspulse.transform.project). A name outside this set never reaches SQL.
GOLD_TABLES = frozenset(gold_tables())


@dataclass(frozen=True)
class Query:
    """A named, parameterised statement: ``sql`` has one ``?`` per entry of ``params``."""

    name: str
    sql: str
    params: tuple[Any, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.sql.count("?") != len(self.params):
            raise ValueError(
                f"query {self.name}: {self.sql.count('?')} placeholders, {len(self.params)} values"
            )


class QueryError(RuntimeError):
    """A query failed; the message is meant for the page (what failed, and what to do)."""


def _readable(exc: Exception, s: Settings) -> str:
    """A one-paragraph explanation of a failed query (no traceback, no secrets)."""
    from trino import exceptions as tx

    if isinstance(exc, tx.TrinoUserError):
        if exc.error_name in ("TABLE_NOT_FOUND", "SCHEMA_NOT_FOUND"):
            return (
                f"{exc.message}. The gold layer may not be built yet: run the transform_dbt DAG "
                "(or `make demo`)."
            )
        if exc.error_name in ("PERMISSION_DENIED", "ACCESS_DENIED"):
            return f"{exc.message}. The dashboard user may read lake.{s.dashboard_schema} only."
        return f"Trino rejected the query ({exc.error_name}): {exc.message}"
    if isinstance(exc, tx.TrinoQueryError):
        return f"Trino failed running the query ({exc.error_name}): {exc.message}"
    if isinstance(exc, FileNotFoundError) and "TLS certificate" in str(exc):
        return str(exc)
    if isinstance(exc, tx.HttpError | tx.TrinoConnectionError | ConnectionError | OSError | TimeoutError):
        reason = "connection refused" if "refused" in str(exc).lower() else type(exc).__name__
        return (
            f"Trino at {s.trino_url} is not reachable ({reason}). "
            "Is the stack up? Check `osspulse stack status`."
        )
    return f"{type(exc).__name__}: {exc}"


class GoldReader:
    """Runs :class:`Query` objects against ``lake.<dashboard_schema>`` over one Trino connection."""

    def __init__(
        self, settings: Settings, *, user: str | None = None, request_timeout_s: float = 60.0
    ) -> None:
        self.settings = settings
        self.user = user or settings.trino_dashboard_user
        self.catalog = settings.catalog_name
        self.schema = settings.dashboard_schema
        self.request_timeout_s = request_timeout_s
        self._connection: Any = None
        self._lock = threading.Lock()

    def table(self, name: str) -> str:
        """The quoted, fully qualified name of a gold table from the allow-list."""
        if name not in GOLD_TABLES:
            raise ValueError(f"{name!r} is not a table the dashboard reads")
        return f'"{self.catalog}"."{self.schema}"."{name}"'

    def connection(self) -> Any:
        """The one DB-API connection (HTTP underneath; cursors are independent, so threads may share it)."""
        with self._lock:
            if self._connection is None:
                from osspulse.lake.trino import connect

                # the dashboard role's login (password over TLS), like every Trino client
                self._connection = connect(
                    self.settings,
                    user=self.user,
                    catalog=self.catalog,
                    schema=self.schema,
                    source="osspulse-dashboard",
                    request_timeout=self.request_timeout_s,
                    # Trino 476 has EXECUTE IMMEDIATE: no PREPARE round trip, no shared statement state
                    legacy_prepared_statements=False,
                )
            return self._connection

    def run(self, query: Query) -> pd.DataFrame:
        """The result of ``query`` as a DataFrame; raises :class:`QueryError` with a readable message."""
        started = time.perf_counter()
        try:
            cursor = self.connection().cursor()
            try:
                cursor.execute(query.sql, list(query.params) if query.params else None)
                rows = cursor.fetchall()
                columns = [d[0] for d in cursor.description or ()]
            finally:
                cursor.close()
        except Exception as exc:  # every failure becomes a message on the page
            log.warning("dashboard query %s failed: %s", query.name, exc)
            raise QueryError(_readable(exc, self.settings)) from exc
        log.debug(
            "dashboard query %s: %d rows in %.3fs", query.name, len(rows), time.perf_counter() - started
        )
        return pd.DataFrame.from_records(rows, columns=columns)

    def tables_query(self, names: Sequence[str]) -> Query:
        """A query of which of ``names`` (allow-listed) exist in the schema, visible to this user."""
        unknown = [n for n in names if n not in GOLD_TABLES]
        if unknown:
            raise ValueError(f"not tables the dashboard reads: {unknown}")
        return Query(
            "existing_tables",
            f'select table_name from "{self.catalog}".information_schema.tables '
            "where table_schema = ? and contains(?, table_name)",
            (self.schema, list(names)),
        )

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
