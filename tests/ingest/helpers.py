"""Helpers of the ingest tests: what staging should hold for a dataset, and what it holds."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from osspulse.entities import ENTITIES
from osspulse.ingest.pypi import download_rows, pep503, project_payload, release_rows
from osspulse.ingest.streams import without_asset_downloads
from osspulse.settings import Settings
from osspulse.tracked import load_tracked
from osspulse_sim.generate import dataset_end_date
from osspulse_sim.replay import reachable

GITHUB_ENTITIES = (
    "github_repos",
    "github_commits",
    "github_issues",
    "github_issue_comments",
    "github_releases",
    "github_pull_reviews",
    "github_pull_review_comments",
)
PYPI_ENTITIES = ("pypi_downloads", "pypi_releases", "pypi_projects")

Tables = dict[str, dict[tuple[Any, ...], dict[str, Any]]]


def fast(settings: Settings, **update: Any) -> Settings:
    """Settings for tests: short backoffs and waits, no pypistats throttling."""
    values: dict[str, Any] = {
        "http_backoff_base_s": 0.01,
        "http_backoff_max_s": 0.1,
        "github_secondary_wait_s": 0.05,
        "http_timeout_s": 5.0,
        "http_max_retries": 10,
        "pypistats_requests_per_minute": 100_000,
        "pypistats_requests_per_second": 100_000,
        "github_ratelimit_reserve": 2,
    }
    return settings.model_copy(update={**values, **update})


def _jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _live(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records the simulator serves today (not deleted)."""
    return [r for r in rows if "_sim_deleted_at" not in r]


def reachable_commits(folder: Path, as_of: float | None = None) -> dict[str, dict[str, Any]]:
    """The commits reachable from the default branch head (at ``as_of``), by sha."""
    return reachable(folder, as_of)


def expected_staging(data_dir: Path, load_date: date, *, pypistats_days: int = 180) -> Tables:
    """Every staging row a clean ingest of ``data_dir`` must produce (payloads included)."""
    tracked = load_tracked(data_dir / "tracked.yml")
    out: Tables = {e.name: {} for e in ENTITIES}
    for repo in tracked.repos:
        folder = data_dir / "github" / repo
        if not folder.is_dir():
            continue
        out["github_repos"][(repo, load_date)] = json.loads((folder / "repo.json").read_text())
        for sha, c in reachable_commits(folder).items():
            out["github_commits"][(repo, sha)] = c
        for i in _jsonl(folder / "issues.jsonl"):
            out["github_issues"][(repo, i["number"])] = i
        for c in _jsonl(folder / "comments.jsonl"):
            out["github_issue_comments"][(repo, c["id"])] = c
        for r in _live(_jsonl(folder / "releases.jsonl")):
            out["github_releases"][(repo, r["id"])] = without_asset_downloads(r)
        for r in _jsonl(folder / "reviews.jsonl"):
            out["github_pull_reviews"][(repo, r["id"])] = r
        for c in _jsonl(folder / "review_comments.jsonl"):
            out["github_pull_review_comments"][(repo, c["id"])] = c
    end = dataset_end_date(data_dir)
    first = end - timedelta(days=pypistats_days - 1)
    for package in tracked.packages:
        pypi = data_dir / "pypi" / f"{pep503(package)}.json"
        if not pypi.exists():
            continue
        body = json.loads(pypi.read_text())
        out["pypi_releases"].update(dict(release_rows(package, body)))
        out["pypi_projects"][(package, load_date)] = project_payload(body)
        for metric in ("overall", "python_minor", "system"):
            path = data_dir / "pypistats" / pep503(package) / f"{metric}.json"
            if path.exists():
                for key, row in download_rows(package, metric, json.loads(path.read_text())):
                    if first <= key[3] <= end:
                        out["pypi_downloads"][key] = row
    return out


def staging_dump(settings: Settings, entities: tuple[str, ...] | None = None) -> Tables:
    """``{entity: {key: payload}}`` of the staging tables (missing tables are empty)."""
    out: Tables = {}
    with psycopg.connect(settings.pg_dsn()) as conn:
        for e in ENTITIES:
            if entities is not None and e.name not in entities:
                continue
            exists = conn.execute("select to_regclass(%s)", (e.staging_table,)).fetchone()[0]
            if exists is None:
                out[e.name] = {}
                continue
            keys = sql.SQL(", ").join(map(sql.Identifier, e.key_names))
            rows = conn.execute(sql.SQL("select {}, payload from {}").format(keys, sql.SQL(e.staging_table)))
            out[e.name] = {tuple(r[:-1]): r[-1] for r in rows}
    return out


def subset(tables: Tables, entities: tuple[str, ...]) -> Tables:
    return {k: v for k, v in tables.items() if k in entities}


def diff_summary(actual: Tables, expected: Tables) -> str:
    """A short description of how two table sets differ (for assertion messages)."""
    lines = []
    for name in sorted(set(actual) | set(expected)):
        a, e = actual.get(name, {}), expected.get(name, {})
        missing, extra = set(e) - set(a), set(a) - set(e)
        changed = [k for k in set(a) & set(e) if a[k] != e[k]]
        if missing or extra or changed:
            lines.append(
                f"{name}: {len(a)} rows vs {len(e)} expected; missing {sorted(missing, key=str)[:3]} "
                f"extra {sorted(extra, key=str)[:3]} changed {sorted(changed, key=str)[:3]}"
            )
    return "\n".join(lines) or "identical"


def state_rows(settings: Settings) -> dict[tuple[str, str], dict[str, Any]]:
    with psycopg.connect(settings.pg_dsn()) as conn:
        rows = conn.execute(
            "select stream, partition, bookmark, etag, etag_url, cursor from staging._ingest_state"
        ).fetchall()
    return {(r[0], r[1]): {"bookmark": r[2], "etag": r[3], "etag_url": r[4], "cursor": r[5]} for r in rows}
