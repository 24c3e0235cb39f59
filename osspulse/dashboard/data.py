"""Streamlit side of the data access: one reader per process, a TTL cache, errors shown in the page.

Results are cached with ``st.cache_data`` keyed by the query's SQL text and parameters, for
``OSSPULSE_DASHBOARD_CACHE_TTL_S`` seconds, so new gold data shows without restarting; the sidebar's
"Refresh data" button empties the cache at once. A failed query is never cached: the page shows the
reason (:func:`fetch` returns None) and the next run asks Trino again.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from osspulse.dashboard.gold import RECORDED_TABLES, GoldReader, Query, QueryError
from osspulse.settings import Settings, get_settings


@st.cache_resource(show_spinner=False)
def reader() -> GoldReader:
    """The process's one Trino connection, as the read-only dashboard user."""
    return GoldReader(settings())


def settings() -> Settings:
    return get_settings()


@st.cache_data(ttl=get_settings().dashboard_cache_ttl_s or None, show_spinner=False, max_entries=1000)
def _cached(name: str, sql: str, params: tuple[object, ...]) -> pd.DataFrame:
    return reader().run(Query(name, sql, params))


def run(query: Query) -> pd.DataFrame:
    """The (cached) result of ``query``; raises :class:`QueryError`."""
    return _cached(query.name, query.sql, query.params)


def fetch(query: Query, what: str) -> pd.DataFrame | None:
    """The (cached) result, or None after showing why ``what`` could not be loaded."""
    try:
        return run(query)
    except QueryError as exc:
        st.error(f"Could not load {what}. {exc}", icon=":material/error:")
        return None


def table(name: str) -> str:
    return reader().table(name)


def recorded_tables() -> set[str] | None:
    """Which of the tables Airflow records runs in exist (None, with a message, if Trino fails)."""
    found = fetch(reader().tables_query(RECORDED_TABLES), "the list of recorded tables")
    return None if found is None else set(found["table_name"])


def clear() -> None:
    """Forget every cached result (the "Refresh data" button)."""
    _cached.clear()
