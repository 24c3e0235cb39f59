"""One repository's ingest run: the client, the staging connection, the load date and the report."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import psycopg

from osspulse.entities import entity
from osspulse.ingest import staging
from osspulse.ingest.http import ApiClient, ApiResponse
from osspulse.ingest.report import IngestReport
from osspulse.ingest.staging import UpsertCounts
from osspulse.ingest.streams import GitHubStream
from osspulse.settings import Settings

log = logging.getLogger(__name__)


def check_records(stream: GitHubStream):  # noqa: ANN201 - a checker for ApiClient.get
    """A body check for a listing: a JSON list of objects that all carry the stream's key."""

    def check(body: Any) -> str:
        for i, obj in enumerate(body):
            try:
                stream.key(obj)
            except (KeyError, TypeError, ValueError):
                return f"record {i} of the page has no usable key for {stream.name}"
        return ""

    return check


@dataclass
class RepoRun:
    settings: Settings
    client: ApiClient
    conn: psycopg.Connection
    repo: str  # the tracked spelling: every row's key
    load_date: date
    report: IngestReport
    full_refresh: bool = False
    path_repo: str = ""  # where requests go: the tracked name, or the new one after a rename

    def __post_init__(self) -> None:
        self.path_repo = self.path_repo or self.repo

    def url_path(self, stream: GitHubStream) -> str:
        return f"/repos/{self.path_repo}{stream.path}"

    def get(self, url: str, **kwargs: Any) -> ApiResponse:
        return self.client.get(url, counts=self.report.requests, **kwargs)

    def write(
        self, stream: GitHubStream, rows: Sequence[dict[str, Any]], fetched_at: datetime
    ) -> UpsertCounts:
        """Upsert a page of records (call inside a transaction, with the state that covers them)."""
        keyed = [((self.repo, *stream.key(obj)), stream.clean(obj)) for obj in rows]
        counts = staging.upsert(
            self.conn, entity(stream.entity), keyed, load_date=self.load_date, fetched_at=fetched_at
        )
        self.report.count(stream.entity, counts)
        return counts

    def tombstone(
        self, stream: GitHubStream, keys: Sequence[Any] | None, reason: str, fetched_at: datetime, **kw: Any
    ) -> int:
        n = staging.tombstone(
            self.conn,
            entity(stream.entity),
            self.repo,
            keys,
            reason=reason,
            load_date=self.load_date,
            fetched_at=fetched_at,
            **kw,
        )
        if n:
            self.report.count(stream.entity, UpsertCounts(updated=n))
            self.report.tombstoned[stream.entity] = self.report.tombstoned.get(stream.entity, 0) + n
            self.note(f"{n} {stream.name} tombstoned ({reason})")
        return n

    def note(self, message: str) -> None:
        self.report.notes.append(message)
        log.info("%s: %s", self.repo, message)
