"""Declarative specs of the streams, one per endpoint (in the manner of tap-github).

A stream names its endpoint, its staging entity, how a record's natural key is read and how it is
replicated. The replication methods (implemented in :mod:`osspulse.ingest.github`):

``snapshot``
    One object per run (``GET /repos/{repo}``), stored under ``snapshot_date = load_date``. Conditional
    on the stored ETag; a 304 copies the last snapshot to the new date without spending quota.
``newest_first``
    A listing that returns newest records first (commits, releases). The unfiltered first page is asked
    with the stored ETag: a 304 means nothing new. Otherwise pages are followed until they reach what is
    already stored. For commits, "already stored" is the ``since`` bookmark (committer date), and the
    pages after the first are asked with ``since`` so the listing ends by itself. The bookmark moves only
    at the end of a pass; a resume cursor (next URL, pending high-water mark) is committed with each page.
``updated_asc``
    A listing sorted by ``updated_at`` ascending with ``since`` (issues and PRs, issue comments). Keyset
    pagination: each page is asked as ``since=<latest updated_at so far>`` (``since`` is inclusive; upserts
    make the re-read boundary harmless), so records updated during a pass are never skipped, and the
    bookmark is committed with each page. The last (partial) page's exact URL and ETag are kept, so a run
    with nothing new is a single 304.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


def dig(obj: Any, path: tuple[str, ...]) -> Any:
    """``obj[path[0]][path[1]]...``, or None where a step is missing."""
    for step in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(step)
    return obj


def parse_time(value: str | None) -> datetime | None:
    """An ISO 8601 timestamp with ``Z`` or an offset, as an aware UTC datetime."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_time(value: datetime) -> str:
    """The form GitHub's ``since`` expects: ``YYYY-MM-DDTHH:MM:SSZ``."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class GitHubStream:
    name: str  # the stream, in the state table (== the staging entity)
    path: str  # under /repos/{repo}
    replication: str  # snapshot | newest_first | updated_asc
    key: Callable[[dict[str, Any]], tuple[Any, ...]] = lambda obj: ()  # natural key after `repo`
    replication_key: tuple[str, ...] = ()  # path of the timestamp the bookmark follows
    params: tuple[tuple[str, str], ...] = ()  # fixed query parameters
    since_param: bool = False  # the endpoint filters with ?since=
    volatile: Callable[[dict[str, Any]], dict[str, Any]] | None = None  # drops fields that change daily

    def clean(self, obj: dict[str, Any]) -> dict[str, Any]:
        """The payload to stage: the API object without its volatile fields (they are not changes)."""
        return self.volatile(obj) if self.volatile else obj

    @property
    def entity(self) -> str:
        return self.name

    def url_path(self, repo: str) -> str:
        return f"/repos/{repo}{self.path}"

    def replication_time(self, obj: dict[str, Any]) -> datetime | None:
        value = dig(obj, self.replication_key)
        return parse_time(value) if isinstance(value, str) else None


REPOSITORY = GitHubStream("github_repos", "", "snapshot")
COMMITS = GitHubStream(
    "github_commits",
    "/commits",
    "newest_first",
    key=lambda c: (c["sha"],),
    replication_key=("commit", "committer", "date"),
    since_param=True,
)
ISSUES = GitHubStream(
    "github_issues",
    "/issues",
    "updated_asc",
    key=lambda i: (int(i["number"]),),
    replication_key=("updated_at",),
    params=(("state", "all"), ("sort", "updated"), ("direction", "asc")),
    since_param=True,
)
ISSUE_COMMENTS = GitHubStream(
    "github_issue_comments",
    "/issues/comments",
    "updated_asc",
    key=lambda c: (int(c["id"]),),
    replication_key=("updated_at",),
    params=(("sort", "updated"), ("direction", "asc")),
    since_param=True,
)


def without_asset_downloads(release: dict[str, Any]) -> dict[str, Any]:
    """A release without its assets' ``download_count`` (it changes every day; it is not a change)."""
    assets = release.get("assets")
    if not assets:
        return release
    return {**release, "assets": [{k: v for k, v in a.items() if k != "download_count"} for a in assets]}


RELEASES = GitHubStream(
    "github_releases",
    "/releases",
    "newest_first",
    key=lambda r: (int(r["id"]),),
    replication_key=("created_at",),
    volatile=without_asset_downloads,
)
PULLS = GitHubStream(  # only when issues are disabled; rows go to github_issues in the issue shape
    "github_pulls",
    "/pulls",
    "updated_desc",
    key=lambda p: (int(p["number"]),),
    replication_key=("updated_at",),
    params=(("state", "all"), ("sort", "updated"), ("direction", "desc")),
)
REVIEWS = GitHubStream(
    "github_pull_reviews",
    "/pulls/{number}/reviews",
    "per_pull_request",
    key=lambda r: (int(r["id"]),),
    replication_key=("submitted_at",),
)
REVIEW_COMMENTS = GitHubStream(
    "github_pull_review_comments",
    "/pulls/comments",
    "updated_asc",
    key=lambda c: (int(c["id"]),),
    replication_key=("updated_at",),
    params=(("sort", "updated"), ("direction", "asc")),
    since_param=True,
)

GITHUB_STREAMS: tuple[GitHubStream, ...] = (
    REPOSITORY,
    COMMITS,
    ISSUES,
    ISSUE_COMMENTS,
    RELEASES,
    PULLS,
    REVIEWS,
    REVIEW_COMMENTS,
)


@dataclass(frozen=True)
class PyPIStream:
    name: str  # the stream, in the state table
    source: str  # pypistats | pypi
    path: str  # with {package}
    entities: tuple[str, ...]
    metric: str = ""  # pypistats metric

    def url_path(self, package: str) -> str:
        return self.path.format(package=package)


PYPI_JSON = PyPIStream("pypi_json", "pypi", "/pypi/{package}/json", ("pypi_releases", "pypi_projects"))
PYPISTATS_METRICS = ("overall", "python_minor", "system")
PYPISTATS_STREAMS: tuple[PyPIStream, ...] = tuple(
    PyPIStream(f"pypistats_{m}", "pypistats", f"/api/packages/{{package}}/{m}", ("pypi_downloads",), m)
    for m in PYPISTATS_METRICS
)
PYPI_STREAMS: tuple[PyPIStream, ...] = (PYPI_JSON, *PYPISTATS_STREAMS)
