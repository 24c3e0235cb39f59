"""Trino connections for the pipeline, tests and the dashboard (one user per role)."""

from __future__ import annotations

from contextlib import closing
from typing import Any

from osspulse.settings import Settings


def trino_connection(s: Settings, *, user: str | None = None, catalog: str | None = None) -> closing[Any]:
    """A DB-API connection to Trino as ``user`` (default: the ETL user); use it as a context manager."""
    import trino

    conn = trino.dbapi.connect(
        host=s.trino_host,
        port=s.trino_port,
        user=user or s.trino_etl_user,
        catalog=catalog or s.catalog_name,
        http_scheme="http",
        request_timeout=300,
    )
    return closing(conn)
