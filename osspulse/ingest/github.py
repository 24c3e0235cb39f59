"""GitHub REST -> ``staging.github_*``: one repository (:func:`ingest_repo`) or many (:func:`ingest_github`).

Per repository, in order: the repository snapshot, commits, issues and pull requests, issue comments,
releases (see :mod:`osspulse.ingest.streams` for how each is replicated). Every page is written with the
state that covers it in one transaction, so a crash loses nothing and the next run resumes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import psycopg

from osspulse.entities import entity
from osspulse.ingest import staging
from osspulse.ingest.http import PER_PAGE, ApiClient, ApiError, ApiResponse, github_client
from osspulse.ingest.report import IngestError, IngestReport, NotFoundError, raise_for_failures, utc_today
from osspulse.ingest.staging import StreamState, UpsertCounts
from osspulse.ingest.streams import (
    COMMITS,
    GITHUB_STREAMS,
    ISSUE_COMMENTS,
    ISSUES,
    RELEASES,
    REPOSITORY,
    GitHubStream,
    format_time,
    parse_time,
)
from osspulse.settings import Settings
from osspulse.tracked import REPO_RE, load_tracked

log = logging.getLogger(__name__)

EMPTY_REPO_NOTE = "empty repository: commits skipped (409)"


# --- pure decisions ----------------------------------------------------------------------------------


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


def check_repository(body: Any) -> str:
    return "" if isinstance(body.get("full_name"), str) else "the repository object has no full_name"


def high_water(stream: GitHubStream, rows: Iterable[dict[str, Any]], current: str | None) -> str | None:
    """The latest replication timestamp among ``rows`` and ``current``, as ``YYYY-MM-DDTHH:MM:SSZ``."""
    best = parse_time(current)
    for row in rows:
        t = stream.replication_time(row)
        if t is not None and (best is None or t > best):
            best = t
    return format_time(best) if best else None


def reaches_bookmark(stream: GitHubStream, rows: Iterable[dict[str, Any]], bookmark: str | None) -> bool:
    """True when a newest-first page holds a record older than the bookmark: the rest is stored already."""
    mark = parse_time(bookmark)
    if mark is None:
        return False
    return any((t := stream.replication_time(row)) is not None and t < mark for row in rows)


def keyset_next(
    stream: GitHubStream, rows: Sequence[dict[str, Any]], since: str | None, page: int
) -> tuple[str | None, int]:
    """(since, page) of the next request of an ``updated_asc`` pass after a full page.

    Normally ``since`` moves to the page's latest ``updated_at`` and ``page`` back to 1. When a whole page
    shares the timestamp it started from, ``since`` cannot move: step to the next page of that ``since``.
    """
    top = high_water(stream, rows, None)
    if top is not None and (since is None or parse_time(top) > parse_time(since)):
        return top, 1
    return since, page + 1


# --- one repository ----------------------------------------------------------------------------------


@dataclass
class _Run:
    settings: Settings
    client: ApiClient
    conn: psycopg.Connection
    repo: str
    load_date: date
    report: IngestReport
    full_refresh: bool = False

    def get(self, url: str, **kwargs: Any) -> ApiResponse:
        return self.client.get(url, counts=self.report.requests, **kwargs)

    def write(
        self, stream: GitHubStream, rows: Sequence[dict[str, Any]], fetched_at: datetime
    ) -> UpsertCounts:
        """Upsert a page of records (call inside a transaction, with the state that covers them)."""
        keyed = [((self.repo, *stream.key(obj)), obj) for obj in rows]
        counts = staging.upsert(
            self.conn, entity(stream.entity), keyed, load_date=self.load_date, fetched_at=fetched_at
        )
        self.report.count(stream.entity, counts)
        return counts

    def note(self, message: str) -> None:
        self.report.notes.append(message)
        log.info("%s: %s", self.repo, message)


def _sync_repository(run: _Run) -> bool:
    """The daily repository snapshot; True when the repository object changed (not a 304)."""
    repos = entity(REPOSITORY.entity)
    state = staging.read_state(run.conn, REPOSITORY.name, run.repo)
    url = run.client.url(REPOSITORY.url_path(run.repo))
    last = staging.latest_snapshot(run.conn, repos, "repo", run.repo)
    etag = state.etag_for(url) if last else None  # without a stored snapshot a 304 would tell us nothing
    resp = run.get(url, etag=etag, expect=dict, allow=(404,), check=check_repository)
    if resp.status == 404:
        raise NotFoundError(
            f"GitHub has no repository {run.repo} (404 on GET /repos/{run.repo}): check its name in the "
            "tracked set, or that the token can see it"
        )
    if resp.not_modified:
        assert last is not None
        with staging.transaction(run.conn):
            counts = staging.upsert(
                run.conn,
                repos,
                [((run.repo, run.load_date), last[1])],
                load_date=run.load_date,
                fetched_at=resp.fetched_at,
            )
        run.report.count(repos.name, counts)
        return False
    body: dict[str, Any] = resp.body
    if body.get("full_name", run.repo).lower() != run.repo.lower():
        run.note(
            f"repository answers as {body['full_name']} (renamed or moved); rows keep the key {run.repo}"
        )
    with staging.transaction(run.conn):
        counts = staging.upsert(
            run.conn,
            repos,
            [((run.repo, run.load_date), body)],
            load_date=run.load_date,
            fetched_at=resp.fetched_at,
        )
        run.report.count(repos.name, counts)
        staging.write_state(run.conn, StreamState(REPOSITORY.name, run.repo, etag=resp.etag, etag_url=url))
    return True


def _sync_newest_first(run: _Run, stream: GitHubStream, *, repository_changed: bool) -> None:
    """Commits and releases: probe the first page with its ETag, then page until known records."""
    state = staging.read_state(run.conn, stream.name, run.repo)
    cursor = dict(state.cursor or {})
    path = stream.url_path(run.repo)
    probe_url = run.client.url(path, [("per_page", PER_PAGE)])
    check = check_records(stream)
    if cursor.get("empty"):
        if not repository_changed:
            run.note(EMPTY_REPO_NOTE.replace("(409)", "(409 last run; repository unchanged)"))
            return
        cursor = {}

    if cursor.get("next_url"):  # an unfinished pass: resume it
        url, pending, probe_etag = cursor["next_url"], cursor.get("pending"), cursor.get("probe_etag")
        log.info("%s: %s: resuming an unfinished pass at %s", run.repo, stream.name, url)
        resp = run.get(url, expect=list, check=check)
    else:
        resp = run.get(probe_url, etag=state.etag_for(probe_url), expect=list, allow=(409,), check=check)
        if resp.status == 409:  # GitHub's answer for a repository without commits
            run.note(EMPTY_REPO_NOTE)
            with staging.transaction(run.conn):
                staging.write_state(run.conn, StreamState(stream.name, run.repo, cursor={"empty": True}))
            return
        if resp.not_modified:
            return
        pending, probe_etag = state.bookmark, resp.etag

    first_page = not cursor.get("next_url")
    while True:
        rows: list[dict[str, Any]] = resp.body
        pending = high_water(stream, rows, pending) if stream.since_param else None
        with staging.transaction(run.conn):
            counts = run.write(stream, rows, resp.fetched_at)
            if stream.since_param:
                done = reaches_bookmark(stream, rows, state.bookmark)
            else:  # releases: a record we already hold unchanged means the rest is known too
                done = counts.unchanged > 0 and not run.full_refresh
            done = done or resp.next_url is None
            if done:
                new = StreamState(stream.name, run.repo, pending, probe_etag, probe_url)
            else:
                next_url = resp.next_url
                if first_page and stream.since_param and state.bookmark:
                    # the rest of what is new: the `since` listing from its second page (it ends by itself)
                    params = [("per_page", PER_PAGE), ("since", state.bookmark), ("page", 2)]
                    next_url = run.client.url(path, params)
                cursor = {"next_url": next_url, "pending": pending, "probe_etag": probe_etag}
                new = StreamState(stream.name, run.repo, state.bookmark, state.etag, state.etag_url, cursor)
            staging.write_state(run.conn, new)
        if done:
            return
        first_page = False
        resp = run.get(new.cursor["next_url"], expect=list, check=check)


def _sync_updated_asc(run: _Run, stream: GitHubStream) -> None:
    """Issues and comments: keyset pages on ``since`` (sort=updated, direction=asc)."""
    state = staging.read_state(run.conn, stream.name, run.repo)
    since, page = state.bookmark, int((state.cursor or {}).get("page", 1))
    path = stream.url_path(run.repo)
    check = check_records(stream)
    while True:
        params = [
            ("per_page", PER_PAGE),
            *stream.params,
            ("since", since),
            ("page", page if page > 1 else None),
        ]
        url = run.client.url(path, params)
        resp = run.get(url, etag=state.etag_for(url), expect=list, check=check)
        if resp.not_modified:
            return
        rows: list[dict[str, Any]] = resp.body
        final = len(rows) < PER_PAGE or resp.next_url is None
        if final:  # keep this exact URL and its ETag: the next run asks it first
            new = StreamState(stream.name, run.repo, since, resp.etag, url)
        else:
            since, page = keyset_next(stream, rows, since, page)
            new = StreamState(stream.name, run.repo, since, cursor={"page": page} if page > 1 else None)
        with staging.transaction(run.conn):
            run.write(stream, rows, resp.fetched_at)
            staging.write_state(run.conn, new)
        if final:
            return
        state = new


def ingest_repo(
    settings: Settings,
    repo: str,
    load_date: date,
    *,
    token: str | None = None,
    client: ApiClient | None = None,
    full_refresh: bool = False,
) -> IngestReport:
    """Ingest one GitHub repository into staging.

    Args:
        settings: the settings (staging database, GitHub URL, retries ...).
        repo: ``owner/name``; rows are keyed by this spelling.
        load_date: the UTC date of the data interval (snapshot date, ``load_date`` of changed rows).
        token: a GitHub token; defaults to ``GITHUB_TOKEN``. Ignored when ``client`` is given.
        client: a GitHub :class:`ApiClient` to share (its rate-limit view is shared too).
        full_refresh: forget bookmarks, ETags and cursors first (rows stay; unchanged ones stay untouched).

    Returns:
        The run's :class:`IngestReport`.

    Raises:
        NotFoundError: the repository does not exist (404).
        IngestError: a stream failed for good; the others were still ingested (``exc.reports``).
    """
    if not REPO_RE.match(repo):
        raise ValueError(f"{repo!r} is not a GitHub repository name (owner/name, e.g. apache/iceberg)")
    report = IngestReport("github", repo, load_date)
    own_client = client is None
    client = client or github_client(settings, token)
    log.info("%s: ingesting (load_date %s)", repo, load_date)
    try:
        with staging.connect(settings) as conn:
            staging.ensure_staging(conn)
            if full_refresh:
                staging.reset_state(conn, repo, [s.name for s in GITHUB_STREAMS])
            run = _Run(settings, client, conn, repo, load_date, report, full_refresh)
            try:
                changed = _sync_repository(run)
            except NotFoundError as exc:
                report.failures.append(str(exc))
                log.error("%s: %s", repo, exc)
                raise NotFoundError(
                    f"{repo}: {exc}", reports=[report.finish()], failures={repo: str(exc)}
                ) from None
            except ApiError as exc:
                report.failures.append(f"{REPOSITORY.name}: {exc}")
                log.error("%s: %s", repo, exc)
                changed = True
            for stream in (COMMITS, ISSUES, ISSUE_COMMENTS, RELEASES):
                try:
                    if stream.replication == "updated_asc":
                        _sync_updated_asc(run, stream)
                    else:
                        _sync_newest_first(run, stream, repository_changed=changed)
                except ApiError as exc:  # the other streams still run; the repo ends failed
                    report.failures.append(f"{stream.name}: {exc}")
                    log.error("%s: %s failed: %s", repo, stream.name, exc)
    finally:
        if own_client:
            client.close()
    report.finish()
    log.info("%s", report.summary())
    if report.failures:
        reason = "; ".join(report.failures)
        raise IngestError(f"{repo}: {reason}", reports=[report], failures={repo: reason})
    return report


def ingest_github(
    settings: Settings,
    repos: Iterable[str] | None,
    load_date: date | None,
    *,
    token: str | None = None,
    full_refresh: bool = False,
) -> list[IngestReport]:
    """Ingest many repositories, ``ingest_concurrency`` at a time, past failures.

    Args:
        repos: ``owner/name`` list; None means the ``repos`` of the tracked set (``OSSPULSE_TRACKED``).
        load_date: the UTC date of the data interval; None means today (UTC).

    Raises:
        IngestError: naming every failed repository and why, after all were tried (``exc.reports``).
    """
    repo_list = list(dict.fromkeys(repos if repos is not None else load_tracked(settings.tracked).repos))
    bad = [r for r in repo_list if not REPO_RE.match(r)]
    if bad:
        raise ValueError(f"not GitHub repository names (owner/name): {', '.join(map(repr, bad))}")
    load_date = load_date or utc_today()
    reports: dict[str, IngestReport] = {}
    failures: dict[str, str] = {}
    if not repo_list:
        return []
    with staging.connect(settings) as conn:
        staging.ensure_staging(conn)
    workers = max(1, min(settings.ingest_concurrency, len(repo_list)))
    with (
        github_client(settings, token) as client,
        ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ingest-github") as pool,
    ):
        futures = {
            pool.submit(
                ingest_repo, settings, repo, load_date, client=client, full_refresh=full_refresh
            ): repo
            for repo in repo_list
        }
        for future in as_completed(futures):
            repo = futures[future]
            try:
                reports[repo] = future.result()
            except IngestError as exc:
                failures[repo] = exc.failures.get(repo, str(exc))
                reports[repo] = exc.reports[0] if exc.reports else IngestReport("github", repo, load_date)
            except Exception as exc:  # a database or programming error: still try the other repos
                log.exception("%s: ingest failed", repo)
                failures[repo] = f"{type(exc).__name__}: {exc}"
                reports[repo] = IngestReport("github", repo, load_date, failures=[failures[repo]]).finish()
    ordered = [reports[r] for r in repo_list]
    raise_for_failures("GitHub", ordered, {r: failures[r] for r in repo_list if r in failures})
    return ordered
