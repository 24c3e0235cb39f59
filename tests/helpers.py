"""Small helpers shared by tests."""

from __future__ import annotations

from datetime import UTC, datetime


def naive_utc(*args: int) -> datetime:
    """A naive datetime holding UTC wall time (what Spark returns with session time zone UTC)."""
    return datetime(*args, tzinfo=UTC).replace(tzinfo=None)
