"""GitHub REST semantics over the dataset: listings, the commit graph, compare, renames.

* ``/repos/{owner}/{repo}...`` (case-insensitive) and ``/repositories/{id}...``; a renamed or
  transferred repository answers 301 with ``Location: /repositories/{id}...`` (as GitHub does);
* ``/commits``: git-walk order from the default branch head (or ``sha=``), ``since``/``until`` on the
  committer date; 409 for an empty repository;
* ``/compare/{base}...{head}``: ``git log base..head`` in chronological order, status ahead | behind |
  diverged | identical; 250 commits unpaginated, else ``per_page``/``page``; 404 for an unknown commit;
* ``/issues`` (410 "Issues are disabled for this repo" when ``has_issues`` is false),
  ``/issues/comments``, ``/pulls``, ``/pulls/{n}/reviews``, ``/pulls/comments``, ``/releases``;
* ``as_of``: the head of that moment and only records created by then.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from osspulse_sim.dataset import Collection, Dataset
from osspulse_sim.git import epoch
from osspulse_sim.settings import SimSettings

REPO_PATH = re.compile(r"^/repos/([^/]+)/([^/]+)(/.*)?$")
REPO_ID_PATH = re.compile(r"^/repositories/(\d+)(/.*)?$")
SUFFIXES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^$"), "github_repos"),
    (re.compile(r"^/commits$"), "github_commits"),
    (re.compile(r"^/compare/(.+)$"), "github_compare"),
    (re.compile(r"^/issues$"), "github_issues"),
    (re.compile(r"^/issues/comments$"), "github_issue_comments"),
    (re.compile(r"^/pulls$"), "github_pulls"),
    (re.compile(r"^/pulls/comments$"), "github_pull_review_comments"),
    (re.compile(r"^/pulls/(\d+)/reviews$"), "github_pull_reviews"),
    (re.compile(r"^/releases$"), "github_releases"),
)
NOT_FOUND = {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}


@dataclass
class Answer:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def classify(path: str) -> str | None:
    """The collection a GitHub path reads (for stats and fault paths), None when it is not GitHub's."""
    m = REPO_PATH.match(path)
    if m:
        suffix = m.group(3) or ""
    else:
        m = REPO_ID_PATH.match(path)
        if not m:
            return None
        suffix = m.group(2) or ""
    for pattern, name in SUFFIXES:
        if pattern.match(suffix):
            return name
    return "github_other"


def page(
    rows: list[bytes], query: dict[str, str], host: str, path: str, default: int = 30, overlap: int = 0
) -> Answer:
    """``per_page`` (max 100) and ``page`` with a ``Link`` header, as every GitHub listing."""
    try:
        per_page = min(100, max(1, int(query.get("per_page") or default)))
        number = max(1, int(query.get("page") or 1))
    except ValueError:
        return Answer(422, dumps({"message": "Validation Failed: per_page and page are integers"}))
    last = max(1, math.ceil(len(rows) / per_page))
    chunk = rows[(number - 1) * per_page : number * per_page]
    if overlap and number > 1 and chunk:  # records that "moved" across a page boundary: served twice
        chunk = rows[max(0, (number - 1) * per_page - overlap) : (number - 1) * per_page] + chunk
    links = []

    def link(n: int, rel: str) -> str:
        return f'<http://{host}{path}?{urlencode({**query, "page": str(n)})}>; rel="{rel}"'

    if number > 1:
        links += [link(min(number - 1, last), "prev"), link(1, "first")]
    if number < last:
        links += [link(number + 1, "next"), link(last, "last")]
    return Answer(200, b"[" + b",".join(chunk) + b"]", {"Link": ", ".join(links)} if links else {})


class GitHubApi:
    """Answers GitHub paths from a :class:`Dataset` under :class:`SimSettings`."""

    def __init__(self, dataset: Dataset, settings: SimSettings) -> None:
        self.ds = dataset
        self.settings = settings

    # --- routing -------------------------------------------------------------------------------------
    def answer(self, path: str, query: dict[str, str], host: str) -> Answer:
        m = REPO_PATH.match(path)
        if m:
            owner, repo, suffix = m.group(1), m.group(2), m.group(3) or ""
            name = self.ds.find_repo(owner, repo)
            if name is None:
                moved = self.ds.renamed(owner, repo)
                target = self.ds.find_repo(*moved.split("/")) if moved else None
                if target is None:
                    return Answer(404, dumps(NOT_FOUND))
                repo_id = self.ds.repo_obj(target)["id"]
                location = f"http://{host}/repositories/{repo_id}{suffix}"
                location += f"?{urlencode(query)}" if query else ""
                body = {
                    "message": "Moved Permanently",
                    "url": location,
                    "documentation_url": NOT_FOUND["documentation_url"],
                }
                return Answer(301, dumps(body), {"Location": location})
        else:
            m = REPO_ID_PATH.match(path)
            if not m:
                return Answer(404, dumps(NOT_FOUND))
            name = self.ds.repo_by_id(int(m.group(1)))
            suffix = m.group(2) or ""
            if name is None:
                return Answer(404, dumps(NOT_FOUND))
        for pattern, collection in SUFFIXES:
            sm = pattern.match(suffix)
            if sm:
                return self._dispatch(collection, name, sm, query, host, path)
        return Answer(404, dumps(NOT_FOUND))

    def _dispatch(
        self, collection: str, name: str, sm: re.Match[str], query: dict[str, str], host: str, path: str
    ) -> Answer:
        if collection == "github_repos":
            return Answer(200, self.ds.repo_json(name))
        if collection == "github_commits":
            return self.commits(name, query, host, path)
        if collection == "github_compare":
            return self.compare(name, sm.group(1), query, host, path)
        if collection == "github_issues":
            if self.ds.repo_obj(name).get("has_issues") is False:
                body = {
                    "message": "Issues are disabled for this repo",
                    "documentation_url": NOT_FOUND["documentation_url"],
                }
                return Answer(410, dumps(body))
            return self.issues(self.ds.collection(name, "issues"), query, host, path)
        if collection == "github_issue_comments":
            return self.by_time(self.ds.collection(name, "comments"), query, host, path, "created")
        if collection == "github_pulls":
            return self.pulls(self.ds.collection(name, "pulls"), query, host, path)
        if collection == "github_pull_review_comments":
            return self.by_time(self.ds.collection(name, "review_comments"), query, host, path, "created")
        if collection == "github_pull_reviews":
            return self.reviews(name, int(sm.group(1)), query, host, path)
        return self.releases(self.ds.collection(name, "releases"), query, host, path)

    def _page(
        self, rows: list[bytes], query: dict[str, str], host: str, path: str, default: int = 30
    ) -> Answer:
        return page(rows, query, host, path, default, self.settings.page_overlap)

    # --- helpers -------------------------------------------------------------------------------------
    def _created_by_as_of(self, col: Collection, field_name: str = "created_at") -> list[int]:
        """Records that exist at ``as_of`` (else now): created by then and not deleted by then."""
        cut = self.settings.as_of_epoch()
        times = col.times(field_name)
        deleted = [t if t != -math.inf else math.inf for t in col.times("_sim_deleted_at")]
        horizon = cut if cut is not None else math.inf
        return [
            i
            for i in range(len(col.items))
            if (cut is None or times[i] <= cut) and (deleted[i] == math.inf or deleted[i] > horizon)
        ]

    @staticmethod
    def _since(query: dict[str, str], name: str) -> float | None:
        value = query.get(name)
        if not value:
            return None
        try:
            return epoch(value)
        except ValueError:
            return None

    # --- endpoints -----------------------------------------------------------------------------------
    def commits(self, name: str, query: dict[str, str], host: str, path: str) -> Answer:
        col = self.ds.commits(name)
        graph = col.graph
        as_of = self.settings.as_of_epoch()
        branch = self.ds.repo_obj(name).get("default_branch") or "main"
        start = graph.resolve(query["sha"], as_of, branch) if query.get("sha") else graph.head(as_of)
        if not col.items or (start is None and not query.get("sha")):
            body = {
                "message": "Git Repository is empty.",
                "documentation_url": NOT_FOUND["documentation_url"],
            }
            return Answer(409, dumps(body))
        if start is None:
            return Answer(404, dumps({"message": f"No commit found for SHA: {query['sha']}"}))
        since, until = self._since(query, "since"), self._since(query, "until")
        rows = [
            col.raw[graph.commits[sha]]
            for sha in graph.walk(start)
            if (since is None or graph.times[sha] >= since) and (until is None or graph.times[sha] <= until)
        ]
        return self._page(rows, query, host, path)

    def compare(self, name: str, basehead: str, query: dict[str, str], host: str, path: str) -> Answer:
        col = self.ds.commits(name)
        graph = col.graph
        if "..." not in basehead:
            return Answer(404, dumps(NOT_FOUND))
        base_ref, head_ref = basehead.split("...", 1)
        branch = self.ds.repo_obj(name).get("default_branch") or "main"
        as_of = self.settings.as_of_epoch()
        base, head = graph.resolve(base_ref, as_of, branch), graph.resolve(head_ref, as_of, branch)
        if base is None or head is None:
            missing = base_ref if base is None else head_ref
            return Answer(404, dumps({"message": f"No commit found for SHA: {missing}"}))
        result = graph.compare(base, head)
        if result["merge_base"] is None:
            return Answer(404, dumps({"message": f"No common ancestor between {base_ref} and {head_ref}."}))
        rows = [col.raw[graph.commits[sha]] for sha in result["commits"]]
        paginated = "per_page" in query or "page" in query
        listing = (
            self._page(rows, query, host, path, default=250)
            if paginated
            else Answer(200, b"[" + b",".join(rows[:250]) + b"]")
        )
        commits = json.loads(listing.body) if listing.status == 200 else []
        base_obj = col.items[graph.commits[base]]
        body = {
            "url": f"https://api.github.com/repos/{name}/compare/{basehead}",
            "html_url": f"https://github.com/{name}/compare/{basehead}",
            "permalink_url": f"https://github.com/{name}/compare/{base}...{head}",
            "base_commit": base_obj,
            "merge_base_commit": col.items[graph.commits[result["merge_base"]]],
            "status": result["status"],
            "ahead_by": result["ahead_by"],
            "behind_by": result["behind_by"],
            "total_commits": result["total_commits"],
            "commits": commits,
            "files": [],
        }
        return Answer(200, dumps(body), listing.headers if paginated else {})

    def issues(self, col: Collection, query: dict[str, str], host: str, path: str) -> Answer:
        state = query.get("state") or "open"
        sort = query.get("sort") or "created"
        direction = query.get("direction") or "desc"
        if state not in ("open", "closed", "all") or sort not in ("created", "updated", "comments"):
            return Answer(422, dumps({"message": "Validation Failed: state or sort"}))
        since = self._since(query, "since")
        updated = col.times("updated_at")
        if sort == "comments":
            key_values = [float(item.get("comments") or 0) for item in col.items]
        else:
            key_values = col.times(f"{sort}_at")
        chosen = [
            i
            for i in self._created_by_as_of(col)
            if (state == "all" or col.items[i].get("state") == state)
            and (since is None or updated[i] >= since)
        ]
        chosen.sort(
            key=lambda i: (key_values[i], col.items[i].get("number") or 0), reverse=direction != "asc"
        )
        return self._page([col.raw[i] for i in chosen], query, host, path)

    def pulls(self, col: Collection, query: dict[str, str], host: str, path: str) -> Answer:
        """``GET /pulls``: no ``since``; ``sort`` created | updated, ``direction`` (default desc)."""
        state = query.get("state") or "open"
        sort = query.get("sort") or "created"
        if state not in ("open", "closed", "all") or sort not in (
            "created",
            "updated",
            "popularity",
            "long-running",
        ):
            return Answer(422, dumps({"message": "Validation Failed: state or sort"}))
        key = col.times("updated_at" if sort == "updated" else "created_at")
        chosen = [
            i for i in self._created_by_as_of(col) if state == "all" or col.items[i].get("state") == state
        ]
        chosen.sort(
            key=lambda i: (key[i], col.items[i].get("number") or 0),
            reverse=query.get("direction", "desc") != "asc",
        )
        return self._page([col.raw[i] for i in chosen], query, host, path)

    def by_time(
        self, col: Collection, query: dict[str, str], host: str, path: str, default_sort: str
    ) -> Answer:
        """Repo-wide issue comments and review comments: ``sort``, ``direction`` (default asc), ``since``."""
        sort = query.get("sort") or default_sort
        direction = query.get("direction") or "asc"
        if sort not in ("created", "updated"):
            return Answer(422, dumps({"message": "Validation Failed: sort"}))
        since = self._since(query, "since")
        updated = col.times("updated_at")
        key_values = col.times(f"{sort}_at")
        chosen = [i for i in self._created_by_as_of(col) if since is None or updated[i] >= since]
        chosen.sort(key=lambda i: (key_values[i], col.items[i].get("id") or 0), reverse=direction != "asc")
        return self._page([col.raw[i] for i in chosen], query, host, path)

    def reviews(self, name: str, number: int, query: dict[str, str], host: str, path: str) -> Answer:
        col = self.ds.collection(name, "reviews")
        suffix = f"/pulls/{number}"
        chosen = [
            i
            for i in self._created_by_as_of(col, "submitted_at")
            if str(col.items[i].get("pull_request_url", "")).endswith(suffix)
        ]
        chosen.sort(key=lambda i: col.items[i].get("id") or 0)  # chronological, as GitHub lists them
        return self._page([col.raw[i] for i in chosen], query, host, path)

    def releases(self, col: Collection, query: dict[str, str], host: str, path: str) -> Answer:
        created = col.times("created_at")
        order = sorted(
            self._created_by_as_of(col), key=lambda i: (created[i], col.items[i].get("id") or 0), reverse=True
        )
        return self._page([self._release_bytes(col, i) for i in order], query, host, path)

    def _release_bytes(self, col: Collection, i: int) -> bytes:
        """A release as served today: its assets' download_count grows a little every day."""
        item = col.items[i]
        if not item.get("assets") or not self.settings.asset_downloads_per_day:
            return col.raw[i]
        now = self.settings.as_of_epoch() or datetime.now(UTC).timestamp()
        release = json.loads(col.raw[i])
        for asset in release["assets"]:
            days = max(0, int((now - epoch(asset.get("created_at") or item.get("created_at"))) // 86400))
            asset["download_count"] = (
                int(asset.get("download_count") or 0) + days * self.settings.asset_downloads_per_day
            )
        return dumps(release)
