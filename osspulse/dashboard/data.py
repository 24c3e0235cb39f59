"""Streamlit side of the data access: one reader per process, a TTL cache, errors shown in the page.

Results are cached with ``st.cache_data`` keyed by the query's SQL text and parameters, for
``OSSPULSE_DASHBOARD_CACHE_TTL_S`` seconds, so new gold data shows without restarting; the sidebar's
"Refresh data" button empties the cache at once. A failed query is never cached: the page shows the
reason (:func:`fetch` returns None) and the next run asks Trino again.

A page first hands every query it will draw to :func:`prefetch`, which runs them at once on a small
thread pool (Trino answers them in parallel); the charts' own fetches then find them in the cache, so a
cold page costs about its slowest query instead of the sum of all.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor, wait

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from osspulse.dashboard.gold import GoldReader, Query, QueryError
from osspulse.settings import Settings, get_settings


@st.cache_resource(show_spinner=False)
def reader() -> GoldReader:
    """The process's one Trino connection, as the read-only dashboard user."""
    return GoldReader(settings())


def settings() -> Settings:
    return get_settings()


@st.cache_data(ttl=get_settings().dashboard_cache_ttl_s, show_spinner=False, max_entries=1000)
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


_POOL = ThreadPoolExecutor(max_workers=6, thread_name_prefix="osspulse-prefetch")


def prefetch(*queries: Query | None) -> None:
    """Run the queries a page is about to draw in parallel (into the cache); errors are left for the
    page's own :func:`fetch` to show. Concurrent runs of one query wait for each other (Streamlit's
    per-key compute lock), so nothing runs twice."""
    todo = [q for q in queries if q is not None]
    if len(todo) < 2:
        return
    ctx = get_script_run_ctx()

    def one(query: Query) -> None:
        add_script_run_ctx(threading.current_thread(), ctx)
        try:
            run(query)
        except QueryError:
            pass

    wait([_POOL.submit(one, q) for q in todo])


def table(name: str) -> str:
    return reader().table(name)


def clear() -> None:
    """Forget every cached result (the "Refresh data" button)."""
    _cached.clear()
