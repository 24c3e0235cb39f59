"""Fixtures of the transform tests."""

from __future__ import annotations

import pytest

from osspulse.settings import Settings


@pytest.fixture(scope="session")
def lake_stack(settings: Settings) -> Settings:
    """PostgreSQL (the Iceberg catalog), MinIO and Trino, healthy: all dbt needs (started if needed)."""
    from osspulse.stack import runner

    runner.up(settings, only=["postgres", "minio", "trino"])
    return settings
