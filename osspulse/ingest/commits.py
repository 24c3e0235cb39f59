"""Commits: staging holds exactly the commits reachable from the default branch head after every run.

GitHub's ``since`` filters ``/commits`` by committer date, and commits of a branch merged with a merge
commit keep their older dates, so a date bookmark misses them. Instead the bookmark is the head sha
of the last complete run, and each run moves from that head to the new one:

1. ``GET /commits?per_page=100`` with the stored ETag: a 304 means the head did not move (free). The
   first page starts at the new head, in git-walk order, with every commit's ``parents``.
2. Walk the new commits' parents inside that page. If the walk reaches the stored head and every
   parent it needs is in the page or already staged, the page holds everything new (one request).
3. Otherwise ``GET /compare/{old}...{new}?per_page=100``: the commits reachable from the new head and
   not from the old one (``git log old..new``), page by page.
4. History rewritten (force-push; compare says ``diverged``/``behind``, or the walk ends without the
   old head): ``GET /compare/{new}...{old}`` lists what is no longer reachable; those rows become
   tombstones.
5. No stored head (first run, ``--full-refresh``, state from a date bookmark) or compare 404 (the
   old head is gone): the full listing ``/commits?sha={head}``, then every staged commit it did not
   list becomes a tombstone.

Each page commits with the cursor that resumes the pass; the bookmark moves only when it is complete.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from typing import Any

from osspulse.entities import entity
from osspulse.ingest import staging
from osspulse.ingest.http import PER_PAGE, ApiResponse
from osspulse.ingest.run import RepoRun, check_records
from osspulse.ingest.staging import StreamState
from osspulse.ingest.streams import COMMITS

log = logging.getLogger(__name__)

EMPTY_REPO_NOTE = "empty repository: commits skipped (409)"
SHA_RE = re.compile(r"^[0-9a-f]{40}$")
REWRITTEN = "no longer reachable from the default branch head (history rewritten)"
UNLISTED = "not reachable from the default branch head"


def parents_of(commit: dict[str, Any]) -> list[str]:
    return [p["sha"] for p in commit.get("parents") or [] if isinstance(p, dict) and p.get("sha")]


def advance(rows: Sequence[dict[str, Any]], new_head: str, old_head: str, known: set[str]) -> str:
    """How the head moved, judged from the first page alone.

    Walks from ``new_head`` through the page's commits, stopping at staged (``known``) commits and at
    ``old_head``. Returns ``fast_forward`` (everything new is in the page), ``gap`` (a needed commit is
    neither in the page nor staged: ask compare) or ``rewritten`` (the old head is not an ancestor).
    """
    by_sha = {r["sha"]: parents_of(r) for r in rows}
    stack, seen = [new_head], set()
    hit_old = gap = False
    while stack:
        sha = stack.pop()
        if sha in seen:
            continue
        seen.add(sha)
        if sha == old_head:
            hit_old = True
        elif sha in known:
            continue
        elif sha not in by_sha:
            gap = True
        else:
            stack.extend(by_sha[sha])
    if gap:
        return "gap"
    return "fast_forward" if hit_old else "rewritten"


def _shas(rows: Iterable[dict[str, Any]]) -> list[str]:
    return [r["sha"] for r in rows]


def _compare_url(run: RepoRun, base: str, head: str) -> str:
    return run.client.url(
        f"/repos/{run.path_repo}/compare/{base}...{head}", [("per_page", PER_PAGE), ("page", 1)]
    )


def _listing_url(run: RepoRun, head: str, page: int) -> str:
    return run.client.url(run.url_path(COMMITS), [("per_page", PER_PAGE), ("sha", head), ("page", page)])


def sync_commits(run: RepoRun, *, repository_changed: bool) -> None:
    state = staging.read_state(run.conn, COMMITS.name, run.repo)
    cursor = dict(state.cursor or {})
    if cursor.get("empty"):
        if not repository_changed:
            run.note(EMPTY_REPO_NOTE.replace("(409)", "(409 last run; repository unchanged)"))
            return
        cursor = {}
    if cursor.get("mode"):
        log.info(
            "%s: commits: resuming an unfinished %s pass at %s", run.repo, cursor["mode"], cursor["next_url"]
        )
        _continue(run, cursor)
        return
    probe_url = run.client.url(run.url_path(COMMITS), [("per_page", PER_PAGE)])
    resp = run.get(
        probe_url, etag=state.etag_for(probe_url), expect=list, allow=(409,), check=check_records(COMMITS)
    )
    if resp.status == 409:  # GitHub's answer for a repository without commits
        run.note(EMPTY_REPO_NOTE)
        with staging.transaction(run.conn):
            staging.write_state(run.conn, StreamState(COMMITS.name, run.repo, cursor={"empty": True}))
        return
    if resp.not_modified or not resp.body:
        return
    rows: list[dict[str, Any]] = resp.body
    new_head = rows[0]["sha"]
    old_head = state.bookmark if state.bookmark and SHA_RE.match(state.bookmark) else None
    cursor = {"new_head": new_head, "old_head": old_head, "probe_etag": resp.etag, "probe_url": probe_url}
    with staging.transaction(run.conn):
        if old_head is None or run.full_refresh:
            mode = "full"
            staging.clear_seen(run.conn, COMMITS.name, run.repo)
            staging.mark_seen(run.conn, COMMITS.name, run.repo, _shas(rows))
            cursor.update(mode=mode, next_url=_listing_url(run, new_head, 2) if resp.next_url else None)
        elif old_head == new_head:
            mode = "done"
        else:
            candidates = set(_shas(rows)) | {p for r in rows for p in parents_of(r)}
            known = staging.live_keys(run.conn, entity(COMMITS.entity), run.repo, sorted(candidates))
            how = advance(rows, new_head, old_head, known)
            mode = {"fast_forward": "done", "gap": "ahead", "rewritten": "behind"}[how]
            if mode == "ahead":
                cursor.update(mode=mode, next_url=_compare_url(run, old_head, new_head))
            elif mode == "behind":
                cursor.update(mode=mode, next_url=_compare_url(run, new_head, old_head))
        run.write(COMMITS, rows, resp.fetched_at)
        if mode == "done" or (mode == "full" and cursor["next_url"] is None):
            _finish(run, cursor, resp)
        else:
            staging.write_state(run.conn, StreamState(COMMITS.name, run.repo, state.bookmark, cursor=cursor))
    if mode != "done" and cursor.get("next_url"):
        _continue(run, cursor)


def _finish(run: RepoRun, cursor: dict[str, Any], resp: ApiResponse) -> None:
    """The pass is complete (call inside the page's transaction): the new head becomes the bookmark."""
    if cursor.get("mode") == "full":
        run.tombstone(COMMITS, None, UNLISTED, resp.fetched_at, unseen_stream=COMMITS.name)
        staging.clear_seen(run.conn, COMMITS.name, run.repo)
    new = StreamState(COMMITS.name, run.repo, cursor["new_head"], cursor["probe_etag"], cursor["probe_url"])
    staging.write_state(run.conn, new)


def _continue(run: RepoRun, cursor: dict[str, Any]) -> None:
    """Follow the pass's pages (full listing, compare ahead, compare behind) until it is complete."""
    check = check_records(COMMITS)
    while True:
        mode = cursor["mode"]
        if mode == "full":
            resp = run.get(cursor["next_url"], expect=list, check=check)
            rows = resp.body
        else:
            resp = run.get(cursor["next_url"], expect=dict, allow=(404,))
            if resp.status == 404:  # the old head is gone: list everything and reconcile
                run.note(f"compare {cursor['old_head'][:12]}...{cursor['new_head'][:12]}: 404, listing all")
                with staging.transaction(run.conn):
                    staging.clear_seen(run.conn, COMMITS.name, run.repo)
                    cursor.update(mode="full", next_url=_listing_url(run, cursor["new_head"], 1))
                    staging.write_state(
                        run.conn, StreamState(COMMITS.name, run.repo, cursor["old_head"], cursor=cursor)
                    )
                continue
            rows = resp.body.get("commits") or []
        with staging.transaction(run.conn):
            if mode == "full":
                run.write(COMMITS, rows, resp.fetched_at)
                staging.mark_seen(run.conn, COMMITS.name, run.repo, _shas(rows))
            elif mode == "ahead":
                run.write(COMMITS, rows, resp.fetched_at)
            else:
                run.tombstone(COMMITS, _shas(rows), REWRITTEN, resp.fetched_at)
            next_url = resp.next_url
            if next_url is None and mode == "ahead" and resp.body.get("status") in ("diverged", "behind"):
                mode, next_url = "behind", _compare_url(run, cursor["new_head"], cursor["old_head"])
            cursor.update(mode=mode, next_url=next_url)
            if next_url is None:
                _finish(run, cursor, resp)
            else:
                staging.write_state(
                    run.conn, StreamState(COMMITS.name, run.repo, cursor["old_head"], cursor=cursor)
                )
        if next_url is None:
            return
