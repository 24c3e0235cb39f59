"""Small helpers shared by tests."""

from __future__ import annotations

from datetime import UTC, datetime


def naive_utc(*args: int) -> datetime:
    """A naive datetime holding UTC wall time (what Spark returns with session time zone UTC)."""
    return datetime(*args, tzinfo=UTC).replace(tzinfo=None)


def files_containing(paths, secrets: list[str]) -> list[str]:
    """``path: which secret`` for every file that contains one of ``secrets`` (values never printed)."""
    from pathlib import Path

    found = []
    needles = [(i, s.encode()) for i, s in enumerate(secrets) if len(s) >= 6]
    for path in paths:
        try:
            data = Path(path).read_bytes()
        except OSError:
            continue
        for index, needle in needles:
            if needle in data:
                found.append(f"{path}: secret #{index}")
    return found
