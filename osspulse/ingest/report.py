"""What an ingest run did (:class:`IngestReport`) and how it fails (:class:`IngestError`)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from osspulse.ingest.http import RequestCounts
from osspulse.ingest.staging import UpsertCounts


def utc_today() -> date:
    """The default load date: today in UTC."""
    return datetime.now(UTC).date()


def snapshot_allowed(load_date: date, fetch_day: date, max_lag_days: int) -> bool:
    """A snapshot (stars, forks, PyPI info) may describe ``load_date`` only if fetched within the lag.

    Today's answer is not yesterday's history: a backfill or rerun of an older load date writes no
    snapshot (GitHub cannot give back past stars), so the history stored earlier stays true.
    """
    return (fetch_day - load_date).days <= max_lag_days


class IngestError(RuntimeError):
    """One or more repos/packages failed; the message names each one and why.

    ``reports`` holds the report of every repo/package of the run (failed ones included) and
    ``failures`` maps each failed repo/package to its reason.
    """

    def __init__(
        self, message: str, *, reports: Sequence[IngestReport] = (), failures: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.reports = list(reports)
        self.failures = dict(failures or {})


class CredentialsRejected(IngestError):
    """The API answered 401: the run stops (every other request would be refused too)."""


class NotFoundError(IngestError):
    """The repo or package does not exist (404)."""


@dataclass
class IngestReport:
    """Per repo (source ``github``) or package (source ``pypi``): rows, requests, notes, failures."""

    source: str
    target: str
    load_date: date
    entities: dict[str, UpsertCounts] = field(default_factory=dict)
    requests: RequestCounts = field(default_factory=RequestCounts)
    notes: list[str] = field(default_factory=list)
    tombstoned: dict[str, int] = field(default_factory=dict)
    renamed_to: str | None = None  # the repository answers under this name now (renamed or transferred)
    failures: list[str] = field(default_factory=list)
    duration_s: float = 0.0
    _started: float = field(default_factory=time.monotonic, repr=False)

    @property
    def ok(self) -> bool:
        return not self.failures

    def count(self, entity: str, counts: UpsertCounts) -> None:
        self.entities.setdefault(entity, UpsertCounts()).add(counts)

    def finish(self) -> IngestReport:
        self.duration_s = round(time.monotonic() - self._started, 3)
        return self

    @property
    def rows_upserted(self) -> int:
        return sum(c.upserted for c in self.entities.values())

    @property
    def rows_unchanged(self) -> int:
        return sum(c.unchanged for c in self.entities.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "load_date": self.load_date.isoformat(),
            "ok": self.ok,
            "entities": {
                name: {"inserted": c.inserted, "updated": c.updated, "unchanged": c.unchanged}
                for name, c in sorted(self.entities.items())
            },
            "requests": {
                "quota_counted": self.requests.counted,
                "not_modified": self.requests.not_modified,
                "retries": self.requests.retries,
                "waited_s": round(self.requests.waited_s, 3),
            },
            "tombstoned": dict(sorted(self.tombstoned.items())),
            "renamed_to": self.renamed_to,
            "notes": list(self.notes),
            "failures": list(self.failures),
            "duration_s": self.duration_s,
        }

    def summary(self) -> str:
        status = "ok" if self.ok else "FAILED"
        return (
            f"{self.target}: {status}, {self.rows_upserted} rows upserted, {self.rows_unchanged} unchanged, "
            f"{self.requests.counted} requests + {self.requests.not_modified} not modified (304), "
            f"{self.requests.retries} retries, {self.duration_s:.1f}s"
        )


def raise_for_failures(kind: str, reports: Sequence[IngestReport], failures: dict[str, str]) -> None:
    """Raise :class:`IngestError` naming every failed repo/package, if any failed."""
    if not failures:
        return
    details = "; ".join(f"{target}: {reason}" for target, reason in failures.items())
    raise IngestError(
        f"{kind} ingest failed for {len(failures)} of {len(reports)}: {details}",
        reports=reports,
        failures=failures,
    )
