"""Listings other than commits: keyset passes on ``updated_at``, releases, PRs, reviews, reconciliation.

* :func:`sync_updated_asc`: issues and PRs, issue comments, PR review comments (``sort=updated``,
  ``direction=asc``, ``since``): keyset pages, the bookmark advances with every page.
* :func:`sync_releases`: newest first with the first page's ETag, until an already stored, unchanged
  release (asset ``download_count``\\ s change daily and are not kept: they are not changes).
* :func:`sync_pulls`: a repository with issues disabled answers 410 on ``/issues``; its PRs come from
  ``/pulls?state=all&sort=updated&direction=desc`` (no ``since``: pages until one is older than the
  bookmark), staged in ``github_issues`` in the issue shape (``pull_request.merged_at``).
* :func:`sync_reviews`: ``/pulls/{n}/reviews`` for each PR updated since the last run.
* :func:`reconcile`: every ``reconcile_every_days``, a full listing of releases, issues and issue
  comments; what it did not list (deleted, or an issue transferred away) becomes a tombstone.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from osspulse.ingest import staging
from osspulse.ingest.http import PER_PAGE
from osspulse.ingest.run import RepoRun, check_records
from osspulse.ingest.staging import StreamState
from osspulse.ingest.streams import ISSUES, PULLS, RELEASES, REVIEWS, GitHubStream, format_time, parse_time

log = logging.getLogger(__name__)

GONE = "missing from the full listing: deleted, or transferred to another repository"


class IssuesDisabled(Exception):
    """GET /issues answered 410: the repository has its issues turned off."""


def high_water(stream: GitHubStream, rows: Iterable[dict[str, Any]], current: str | None) -> str | None:
    """The latest replication timestamp among ``rows`` and ``current``, as ``YYYY-MM-DDTHH:MM:SSZ``."""
    best = parse_time(current)
    for row in rows:
        t = stream.replication_time(row)
        if t is not None and (best is None or t > best):
            best = t
    return format_time(best) if best else None


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


def sync_updated_asc(run: RepoRun, stream: GitHubStream) -> None:
    """Keyset pages on ``since`` (sort=updated, direction=asc); raises IssuesDisabled on a 410."""
    state = staging.read_state(run.conn, stream.name, run.repo)
    since, page = state.bookmark, int((state.cursor or {}).get("page", 1))
    check = check_records(stream)
    while True:
        params = [
            ("per_page", PER_PAGE),
            *stream.params,
            ("since", since),
            ("page", page if page > 1 else None),
        ]
        url = run.client.url(run.url_path(stream), params)
        resp = run.get(url, etag=state.etag_for(url), expect=list, check=check, allow=(410,))
        if resp.status == 410:
            raise IssuesDisabled(str((resp.body or {}).get("message", "Issues are disabled")))
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


def sync_releases(run: RepoRun) -> None:
    """Newest first; pages are followed until one holds a release stored already, unchanged."""
    stream = RELEASES
    state = staging.read_state(run.conn, stream.name, run.repo)
    probe_url = run.client.url(run.url_path(stream), [("per_page", PER_PAGE)])
    check = check_records(stream)
    cursor = state.cursor or {}
    if cursor.get("next_url"):
        resp = run.get(cursor["next_url"], expect=list, check=check)
        probe_etag = cursor.get("probe_etag")
    else:
        resp = run.get(probe_url, etag=state.etag_for(probe_url), expect=list, check=check)
        if resp.not_modified:
            return
        probe_etag = resp.etag
    while True:
        with staging.transaction(run.conn):
            counts = run.write(stream, resp.body, resp.fetched_at)
            done = (counts.unchanged > 0 and not run.full_refresh) or resp.next_url is None
            if done:
                new = StreamState(stream.name, run.repo, None, probe_etag, probe_url)
            else:
                cursor = {"next_url": resp.next_url, "probe_etag": probe_etag}
                new = StreamState(stream.name, run.repo, None, state.etag, state.etag_url, cursor)
            staging.write_state(run.conn, new)
        if done:
            return
        resp = run.get(new.cursor["next_url"], expect=list, check=check)


def as_issue(pr: dict[str, Any]) -> dict[str, Any]:
    """A ``/pulls`` object in the shape of an ``/issues`` PR (``pull_request`` with ``merged_at``)."""
    links = {k: pr.get(k) for k in ("url", "html_url", "diff_url", "patch_url")}
    return {**pr, "pull_request": {**links, "merged_at": pr.get("merged_at")}}


def sync_pulls(run: RepoRun) -> None:
    """PRs of a repository with issues disabled: ``/pulls`` newest-updated first, down to the bookmark."""
    state = staging.read_state(run.conn, PULLS.name, run.repo)
    params = [("per_page", PER_PAGE), *PULLS.params]
    probe = run.client.url(run.url_path(PULLS), params)
    mark = parse_time(state.bookmark)
    resp = run.get(probe, etag=state.etag_for(probe), expect=list, check=check_records(PULLS))
    if resp.not_modified:
        return
    pending = state.bookmark
    while True:
        rows: list[dict[str, Any]] = resp.body
        pending = high_water(PULLS, rows, pending)
        older = mark is not None and any(
            (t := PULLS.replication_time(r)) is not None and t < mark for r in rows
        )
        done = older or resp.next_url is None
        with staging.transaction(run.conn):
            run.write(ISSUES, [as_issue(r) for r in rows], resp.fetched_at)
            if done:
                staging.write_state(run.conn, StreamState(PULLS.name, run.repo, pending, resp.etag, probe))
        if done:
            return
        resp = run.get(resp.next_url, expect=list, check=check_records(PULLS))


def sync_reviews(run: RepoRun) -> None:
    """``GET /pulls/{n}/reviews`` for every PR staged with a later (``updated_at``, number) than the bookmark.

    One request per such PR (more for PRs with over 100 reviews): a backfill costs one request per PR
    ever opened, a daily run one per PR updated since the last (a review updates its PR). The bookmark
    moves PR by PR, committed with its reviews.
    """
    state = staging.read_state(run.conn, REVIEWS.name, run.repo)
    mark_time, _, mark_number = (state.bookmark or "").partition("|")
    rows = run.conn.execute(
        "select number, payload->>'updated_at' from staging.github_issues where repo = %s "
        "and payload ? 'pull_request' and not payload ? '_osspulse' "
        "and (%s = '' or ((payload->>'updated_at')::timestamptz, number) > (%s::timestamptz, %s::bigint)) "
        "order by (payload->>'updated_at')::timestamptz, number",
        (run.repo, mark_time, mark_time or None, int(mark_number or 0)),
    ).fetchall()
    check = check_records(REVIEWS)
    for number, updated in rows:
        url = run.client.url(f"/repos/{run.path_repo}/pulls/{number}/reviews", [("per_page", PER_PAGE)])
        while url:
            resp = run.get(url, expect=list, check=check, allow=(404,))
            if resp.status == 404:  # the PR went away meanwhile
                break
            with staging.transaction(run.conn):
                run.write(REVIEWS, resp.body, resp.fetched_at)
                if resp.next_url is None:
                    staging.write_state(run.conn, StreamState(REVIEWS.name, run.repo, f"{updated}|{number}"))
            url = resp.next_url


def reconcile_due(run: RepoRun, stream: GitHubStream) -> bool:
    state = staging.read_state(run.conn, f"reconcile_{stream.name}", run.repo)
    if state.cursor:  # an unfinished listing
        return True
    if state.bookmark is None:  # first run: its own listing is complete; start counting from today
        with staging.transaction(run.conn):
            staging.write_state(
                run.conn, StreamState(f"reconcile_{stream.name}", run.repo, run.load_date.isoformat())
            )
        return False
    return (run.load_date - date.fromisoformat(state.bookmark)).days >= run.settings.reconcile_every_days


def reconcile(run: RepoRun, stream: GitHubStream, params: Sequence[tuple[str, str]]) -> None:
    """A full listing (``params`` give a stable order) that tombstones every staged record it missed."""
    name = f"reconcile_{stream.name}"
    state = staging.read_state(run.conn, name, run.repo)
    page = int((state.cursor or {}).get("page", 1))
    if page == 1:
        with staging.transaction(run.conn):
            staging.clear_seen(run.conn, name, run.repo)
    check = check_records(stream)
    while True:
        url = run.client.url(run.url_path(stream), [("per_page", PER_PAGE), *params, ("page", page)])
        resp = run.get(url, expect=list, check=check, allow=(410,))
        if resp.status == 410:  # issues disabled: the PRs come from /pulls, nothing to reconcile here
            with staging.transaction(run.conn):
                staging.write_state(run.conn, StreamState(name, run.repo, run.load_date.isoformat()))
            return
        rows = resp.body
        with staging.transaction(run.conn):
            run.write(stream, rows, resp.fetched_at)
            staging.mark_seen(run.conn, name, run.repo, [stream.key(r)[0] for r in rows])
            if resp.next_url is None:
                run.tombstone(stream, None, GONE, resp.fetched_at, unseen_stream=name)
                staging.clear_seen(run.conn, name, run.repo)
                staging.write_state(run.conn, StreamState(name, run.repo, run.load_date.isoformat()))
            else:
                page += 1
                staging.write_state(
                    run.conn, StreamState(name, run.repo, state.bookmark, cursor={"page": page})
                )
        if resp.next_url is None:
            return
