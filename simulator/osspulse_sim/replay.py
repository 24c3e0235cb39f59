"""Replay a dataset's history day by day through the ingest (below Airflow) and check every day.

For each day D the simulator serves the world as of the end of D (``as_of``), the ingest runs for
load date D, and staging's live commits of the repository must be exactly those reachable from the
default branch head of D, payload for payload (tombstoned ones excluded). Used by the replay tests
and by ``make bench-ingest`` (requests per day against the minimum).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import psycopg

from osspulse.ingest.github import ingest_repo
from osspulse.settings import Settings
from osspulse_sim.git import CommitGraph
from osspulse_sim.server import running_simulator


class ReplayMismatch(AssertionError):
    """Staging differs from the reachable commits of a day."""


@dataclass
class Replay:
    days: list[date] = field(default_factory=list)
    requests: list[int] = field(default_factory=list)  # quota-counted commit/compare requests per day
    minimum: list[int] = field(default_factory=list)  # ceil(new / 100); 0 when the head did not move
    new: list[int] = field(default_factory=list)  # commits that became reachable that day
    found: list[int] = field(default_factory=list)  # of those, live in staging after the run
    older: list[int] = field(default_factory=list)  # of the new, committed before the previous run
    tombstoned: int = 0


def end_of(day: date) -> float:
    return datetime.combine(day, time(23, 59, 59), UTC).timestamp()


def reachable(folder: Path, as_of: float | None) -> dict[str, dict[str, Any]]:
    """The commits reachable from the default branch head at ``as_of``, by sha."""

    def jsonl(name: str) -> list[dict[str, Any]]:
        path = folder / name
        return [json.loads(x) for x in path.read_text().splitlines() if x.strip()] if path.exists() else []

    commits = jsonl("commits.jsonl")
    graph = CommitGraph.build(commits, jsonl("heads.jsonl"))
    by_sha = {c["sha"]: c for c in commits}
    head = graph.head(as_of)
    return {sha: by_sha[sha] for sha in graph.reachable([head] if head else [])}


def _staged(settings: Settings, repo: str) -> dict[str, dict[str, Any]]:
    with psycopg.connect(settings.pg_dsn()) as conn:
        rows = conn.execute("select sha, payload from staging.github_commits where repo = %s", (repo,))
        return dict(rows.fetchall())


def replay_repo(
    settings: Settings, data: Path, repo: str, first: date, days: int, *, check: bool = True
) -> Replay:
    """Ingest ``repo`` as of each of ``days`` days from ``first``; raise ReplayMismatch on a difference."""
    folder = data / "github" / repo
    out = Replay()
    previous: dict[str, dict[str, Any]] | None = None
    with running_simulator(data) as sim:
        s = sim.settings_for(settings)
        for k in range(days):
            day = first + timedelta(days=k)
            sim.configure(as_of=day.isoformat())
            seq = sim.stats()["log_seq"]
            ingest_repo(s, repo, day)
            truth = reachable(folder, end_of(day))
            staged = _staged(s, repo)
            live = {sha: p for sha, p in staged.items() if "_osspulse" not in p}
            if check and (live.keys() != truth.keys() or any(live[x] != truth[x] for x in truth)):
                missing, extra = sorted(truth.keys() - live.keys()), sorted(live.keys() - truth.keys())
                raise ReplayMismatch(f"{repo} {day}: missing {missing[:3]} extra {extra[:3]}")
            log = [e for e in sim.requests(seq) if e["collection"] in ("github_commits", "github_compare")]
            new = set(truth) - set(previous or {})
            cut = end_of(day - timedelta(days=1))
            out.days.append(day)
            out.requests.append(sum(1 for e in log if e["status"] != 304))
            out.minimum.append(math.ceil(len(new) / 100) if new or previous is None else 0)
            out.new.append(len(new))
            out.found.append(len(new & live.keys()))
            out.older.append(
                sum(
                    1
                    for sha in new
                    if datetime.fromisoformat(truth[sha]["commit"]["committer"]["date"]).timestamp() < cut
                )
            )
            out.tombstoned = len(staged) - len(live)
            previous = truth
    return out
