"""The simulator's dataset directory, read through a cache that notices changed files.

Layout (missing files mean empty collections; an absent repo or package directory means 404)::

    DIR/tracked.yml                              # the tracked set for this dataset
    DIR/github/_renamed.json                     # {"old-owner/old-name": "owner/name"}: renames, transfers
    DIR/github/{owner}/{repo}/repo.json          # body of GET /repos/{owner}/{repo} (has_issues false:
                                                 #   the issues listing answers 410)
    DIR/github/{owner}/{repo}/commits.jsonl      # list-commits objects with parents, one per line
    DIR/github/{owner}/{repo}/heads.jsonl        # {"date", "sha"}: the default branch head from then on
    DIR/github/{owner}/{repo}/issues.jsonl       # issue objects; PRs carry "pull_request"
    DIR/github/{owner}/{repo}/pulls.jsonl        # pull request objects (GET /pulls)
    DIR/github/{owner}/{repo}/comments.jsonl     # issue comment objects
    DIR/github/{owner}/{repo}/reviews.jsonl      # PR review objects (pull_request_url names the PR)
    DIR/github/{owner}/{repo}/review_comments.jsonl  # PR review comment objects
    DIR/github/{owner}/{repo}/releases.jsonl     # release objects
    DIR/pypistats/{package}/{overall,python_minor,system}.json   # response bodies
    DIR/pypi/{package}.json                      # body of GET /pypi/{package}/json

Owner and repository names are case-insensitive, as on GitHub.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from osspulse_sim.git import CommitGraph, epoch

PYPISTATS_TYPES = {
    "overall": "overall_downloads",
    "python_major": "python_major_downloads",
    "python_minor": "python_minor_downloads",
    "system": "system_downloads",
}
#: the collections of a repository and the timestamp their listings filter and sort on
COLLECTION_TIMES = {
    "commits": ("commit", "committer", "date"),
    "issues": ("updated_at",),
    "pulls": ("updated_at",),
    "comments": ("updated_at",),
    "reviews": ("submitted_at",),
    "review_comments": ("updated_at",),
    "releases": ("created_at",),
}


@dataclass
class Collection:
    """A JSONL file: the raw lines (served as they are) and the parsed objects (for filters)."""

    raw: list[bytes]
    items: list[dict[str, Any]]
    _times: dict[tuple[str, ...], list[float]] = field(default_factory=dict)
    graph: CommitGraph | None = None

    def times(self, *path: str) -> list[float]:
        if path not in self._times:
            out = []
            for item in self.items:
                value: Any = item
                for step in path:
                    value = value.get(step) if isinstance(value, dict) else None
                out.append(epoch(value))
            self._times[path] = out
        return self._times[path]


def _load_jsonl(path: Path) -> Collection:
    raw, items = [], []
    for n, line in enumerate(path.read_bytes().splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        try:
            item = json.loads(line)
        except ValueError as exc:
            raise ValueError(f"{path} line {n}: not JSON ({exc})") from None
        if isinstance(item, dict) and "_sim_deleted_at" in item:  # the simulator's own: never served
            line = json.dumps(
                {k: v for k, v in item.items() if k != "_sim_deleted_at"}, separators=(",", ":")
            ).encode()
        items.append(item)
        raw.append(line)
    return Collection(raw, items)


class Dataset:
    """Read-through cache of a dataset directory (re-read when a file's mtime or size changes)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._cache: dict[Path, tuple[tuple[int, ...], Any]] = {}
        self._lock = threading.Lock()

    def _cached(self, path: Path, load: Any, *extra: Path) -> Any:
        sig: list[int] = []
        for p in (path, *extra):
            try:
                st = p.stat()
                sig += [st.st_mtime_ns, st.st_size]
            except FileNotFoundError:
                if p == path:
                    return None
                sig += [0, -1]
        key = tuple(sig)
        with self._lock:
            hit = self._cache.get(path)
            if hit and hit[0] == key:
                return hit[1]
        value = load(path)
        with self._lock:
            self._cache[path] = (key, value)
        return value

    # --- repositories --------------------------------------------------------------------------------
    def _repo_index(self) -> dict[str, str]:
        """lowercase owner/name -> the directory's spelling."""
        github = self.root / "github"
        out = {}
        if github.is_dir():
            for folder in github.glob("*/*"):
                if folder.is_dir():
                    name = f"{folder.parent.name}/{folder.name}"
                    out[name.lower()] = name
        return out

    def find_repo(self, owner: str, repo: str) -> str | None:
        """The dataset's spelling of owner/repo (case-insensitive), None when it has no such repo."""
        return self._repo_index().get(f"{owner}/{repo}".lower())

    def renamed(self, owner: str, repo: str) -> str | None:
        """The current owner/name of a renamed or transferred repository."""
        path = self.root / "github" / "_renamed.json"
        table = self._cached(path, lambda p: json.loads(p.read_bytes())) or {}
        lowered = {k.lower(): v for k, v in table.items()}
        return lowered.get(f"{owner}/{repo}".lower())

    def repo_by_id(self, repo_id: int) -> str | None:
        for name in self._repo_index().values():
            body = self.repo_obj(name)
            if body.get("id") == repo_id:
                return name
        return None

    def repo_json(self, name: str) -> bytes:
        owner, repo = name.split("/")
        body = self._cached(self.root / "github" / name / "repo.json", lambda p: p.read_bytes().strip())
        if body is None:  # a repository directory without repo.json: the least GitHub would say
            seed = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)
            obj = {"id": seed, "name": repo, "full_name": name, "owner": {"login": owner}}
            body = json.dumps(obj).encode()
        return body

    def repo_obj(self, name: str) -> dict[str, Any]:
        return json.loads(self.repo_json(name))

    def collection(self, name: str, collection: str) -> Collection:
        found = self._cached(self.root / "github" / name / f"{collection}.jsonl", _load_jsonl)
        return found if found is not None else Collection([], [])

    def commits(self, name: str) -> Collection:
        """The commits with their graph (built once per version of commits.jsonl and heads.jsonl)."""
        folder = self.root / "github" / name

        def load(path: Path) -> Collection:
            col = _load_jsonl(path)
            heads_path = folder / "heads.jsonl"
            heads = _load_jsonl(heads_path).items if heads_path.exists() else []
            col.graph = CommitGraph.build(col.items, heads)
            return col

        found = self._cached(folder / "commits.jsonl", load, folder / "heads.jsonl")
        return found if found is not None else Collection([], [], graph=CommitGraph({}, {}, {}))

    # --- packages ------------------------------------------------------------------------------------
    def pypistats(self, package: str, metric: str) -> dict[str, Any] | None:
        folder = self.root / "pypistats" / package
        if not folder.is_dir():
            return None
        body = self._cached(folder / f"{metric}.json", lambda p: json.loads(p.read_bytes()))
        return body if body is not None else {"data": [], "package": package, "type": PYPISTATS_TYPES[metric]}

    def pypi(self, package: str) -> bytes | None:
        return self._cached(self.root / "pypi" / f"{package}.json", lambda p: p.read_bytes().strip())

    def pypi_names(self) -> list[str]:
        folder = self.root / "pypi"
        return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []

    # --- all of it -----------------------------------------------------------------------------------
    def preload(self) -> int:
        """Read every file now (so the first requests after a change do not pay for it); files read."""
        count = 0
        for name in sorted(self._repo_index().values()):
            self.repo_json(name)
            self.commits(name)
            for collection, times in COLLECTION_TIMES.items():
                if collection != "commits":
                    self.collection(name, collection).times(*times)
                count += 1
        for package in self.pypi_names():
            self.pypi(package)
            count += 1
        self.end_date()
        return count

    def latest_commit_date(self) -> date | None:
        latest = None
        for name in self._repo_index().values():
            times = self.commits(name).graph.times.values()
            top = max(times, default=None)
            if top is not None and top > float("-inf") and (latest is None or top > latest):
                latest = top
        return datetime.fromtimestamp(latest, UTC).date() if latest is not None else None

    def end_date(self) -> date | None:
        """The latest date in any pypistats file (the dataset's "today")."""
        latest: date | None = None
        for path in sorted((self.root / "pypistats").glob("*/*.json")):
            body = self._cached(path, lambda p: json.loads(p.read_bytes()))
            dates = [row.get("date") for row in (body or {}).get("data", []) if isinstance(row, dict)]
            if dates:
                top = date.fromisoformat(max(d for d in dates if isinstance(d, str)))
                latest = top if latest is None or top > latest else latest
        return latest
