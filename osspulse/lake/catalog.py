"""The PyIceberg view of the shared JDBC catalog (same name, database and warehouse as Spark and Trino)."""

from __future__ import annotations

from typing import Any

from osspulse.settings import Settings


def catalog_properties(s: Settings) -> dict[str, str]:
    return {
        "uri": s.pg_sqlalchemy_url(s.pg_catalog_db),
        "warehouse": s.warehouse,
        "s3.endpoint": s.s3_endpoint_url,
        "s3.region": s.s3_region,
        "s3.access-key-id": s.s3_access_key.get_secret_value(),
        "s3.secret-access-key": s.s3_secret_key.get_secret_value(),
        "s3.path-style-access": "true",
    }


def load_catalog(s: Settings) -> Any:
    """A PyIceberg ``SqlCatalog`` named like the others; creates the catalog tables on first use."""
    from pyiceberg.catalog.sql import SqlCatalog

    return SqlCatalog(s.catalog_name, **catalog_properties(s))
