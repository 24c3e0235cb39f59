"""The API simulator: GitHub REST, pypistats and PyPI JSON semantics over a dataset directory.

Dataset format (missing files mean empty collections; an absent repo or package directory means 404)::

    DIR/tracked.yml                           # the tracked set for this dataset
    DIR/github/{owner}/{repo}/repo.json       # body of GET /repos/{owner}/{repo}
    DIR/github/{owner}/{repo}/commits.jsonl   # list-commits objects, one per line
    DIR/github/{owner}/{repo}/issues.jsonl    # issue objects; PRs carry "pull_request"
    DIR/github/{owner}/{repo}/comments.jsonl  # issue comment objects
    DIR/github/{owner}/{repo}/releases.jsonl  # release objects
    DIR/pypistats/{package}/{overall,python_minor,system}.json   # response bodies
    DIR/pypi/{package}.json                   # body of GET /pypi/{package}/json

A repository without commits answers 409 on ``/commits``, as GitHub does for an empty repository.
Files are re-read when they change, so tests and benchmarks can append records while it runs.

Endpoints: ``/repos/{o}/{r}``, ``/repos/{o}/{r}/commits|issues|issues/comments|releases``,
``/api/packages/{p}/overall|python_major|python_minor|system``, ``/pypi/{p}/json``; the control
endpoints ``GET /_sim/stats``, ``GET /_sim/log?since=N``, ``GET|POST /_sim/settings``, ``POST /_sim/reset``,
``POST /_sim/preload`` (read every file now).

Semantics: ``per_page``/``page`` pagination with ``Link``; ``since``/``until`` on commits (committer date);
``state``/``sort``/``direction``/``since`` on issues and comments; content-hash ETags and 304s (which cost
no quota); ``x-ratelimit-*`` headers on GitHub paths with a configurable budget and a 403 when it is
spent; pypistats serves the last 180 days before the dataset's end date. Faults (``SimSettings``):
5xx rate, 429 with ``Retry-After``, slow answers, malformed bodies, truncated bodies, rows repeated across
page boundaries (``page_overlap``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import random
import re
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

log = logging.getLogger(__name__)

PYPISTATS_METRICS = ("overall", "python_major", "python_minor", "system")
PYPISTATS_TYPES = {
    "overall": "overall_downloads",
    "python_major": "python_major_downloads",
    "python_minor": "python_minor_downloads",
    "system": "system_downloads",
}


@dataclass
class SimSettings:
    """Rate-limit budget and faults; change them at runtime with ``POST /_sim/settings``."""

    rate_limit: int = 5000  # GitHub requests per window (x-ratelimit-limit)
    rate_window_s: float = 3600.0  # the window; x-ratelimit-reset is its end
    error_rate: float = 0.0  # share of data requests answered with error_status
    error_status: int = 502
    rate429_rate: float = 0.0  # share answered 429 with Retry-After: retry_after_s
    retry_after_s: float = 1.0
    slow_rate: float = 0.0  # share answered after slow_s seconds
    slow_s: float = 1.0
    malformed_rate: float = 0.0  # share of 200s whose body is cut to invalid JSON
    truncate_rate: float = 0.0  # share of 200s that send half the declared Content-Length, then close
    page_overlap: int = 0  # rows of the previous page repeated at the start of each later page (duplicates)
    fault_paths: str = ""  # a regex on path?query: faults apply only there (empty: every data endpoint)
    seed: int = 0  # of the fault dice
    end_date: str | None = None  # pypistats "today" (YYYY-MM-DD); None: the latest date in the data
    pypistats_days: int = 180

    def update(self, values: dict[str, Any]) -> None:
        known = {f.name: f for f in fields(self)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(f"unknown simulator settings {unknown}; known: {sorted(known)}")
        for name, value in values.items():
            current = getattr(self, name)
            if value is not None and current is not None and not isinstance(value, type(current)):
                value = type(current)(value)
            setattr(self, name, value)
        if self.end_date:
            date.fromisoformat(self.end_date)
        if self.fault_paths:
            re.compile(self.fault_paths)


# --- the dataset -------------------------------------------------------------------------------------


def _epoch(value: Any) -> float:
    """Seconds since the epoch of an ISO timestamp (``Z`` or offset), -inf when missing."""
    if not isinstance(value, str) or not value:
        return -math.inf
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


@dataclass
class Collection:
    """A JSONL file: the raw lines (served as they are) and the parsed objects (for filters)."""

    raw: list[bytes]
    items: list[dict[str, Any]]
    _times: dict[tuple[str, ...], list[float]] = field(default_factory=dict)

    def times(self, *path: str) -> list[float]:
        if path not in self._times:
            out = []
            for item in self.items:
                value: Any = item
                for step in path:
                    value = value.get(step) if isinstance(value, dict) else None
                out.append(_epoch(value))
            self._times[path] = out
        return self._times[path]


class Dataset:
    """Read-through cache of a dataset directory (re-read when a file's mtime or size changes)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._cache: dict[Path, tuple[tuple[int, int], Any]] = {}
        self._lock = threading.Lock()

    def _cached(self, path: Path, load: Any) -> Any:
        try:
            st = path.stat()
        except FileNotFoundError:
            return None
        sig = (st.st_mtime_ns, st.st_size)
        with self._lock:
            hit = self._cache.get(path)
            if hit and hit[0] == sig:
                return hit[1]
        value = load(path)
        with self._lock:
            self._cache[path] = (sig, value)
        return value

    @staticmethod
    def _load_jsonl(path: Path) -> Collection:
        raw, items = [], []
        for n, line in enumerate(path.read_bytes().splitlines(), 1):
            line = line.strip()
            if not line:
                continue
            try:
                items.append(json.loads(line))
            except ValueError as exc:
                raise ValueError(f"{path} line {n}: not JSON ({exc})") from None
            raw.append(line)
        return Collection(raw, items)

    def repo_dir(self, owner: str, repo: str) -> Path | None:
        path = self.root / "github" / owner / repo
        return path if path.is_dir() else None

    def repo_json(self, owner: str, repo: str) -> bytes | None:
        if self.repo_dir(owner, repo) is None:
            return None
        body = self._cached(
            self.root / "github" / owner / repo / "repo.json", lambda p: p.read_bytes().strip()
        )
        if body is None:  # a repository directory without repo.json: the least GitHub would say
            seed = int(hashlib.sha256(f"{owner}/{repo}".encode()).hexdigest()[:8], 16)
            obj = {"id": seed, "name": repo, "full_name": f"{owner}/{repo}", "owner": {"login": owner}}
            body = json.dumps(obj).encode()
        return body

    def collection(self, owner: str, repo: str, name: str) -> Collection:
        found = self._cached(self.root / "github" / owner / repo / f"{name}.jsonl", self._load_jsonl)
        return found if found is not None else Collection([], [])

    def pypistats(self, package: str, metric: str) -> dict[str, Any] | None:
        folder = self.root / "pypistats" / package
        if not folder.is_dir():
            return None
        body = self._cached(folder / f"{metric}.json", lambda p: json.loads(p.read_bytes()))
        return body if body is not None else {"data": [], "package": package, "type": PYPISTATS_TYPES[metric]}

    def pypi(self, package: str) -> bytes | None:
        return self._cached(self.root / "pypi" / f"{package}.json", lambda p: p.read_bytes().strip())

    def preload(self) -> int:
        """Read every file now (so the first requests after a change do not pay for it); files read."""
        count = 0
        for folder in sorted(p for p in (self.root / "github").glob("*/*") if p.is_dir()):
            owner, repo = folder.parent.name, folder.name
            self.repo_json(owner, repo)
            for name, times in (
                ("commits", ("commit", "committer", "date")),
                ("issues", ("updated_at",)),
                ("comments", ("updated_at",)),
                ("releases", ("created_at",)),
            ):
                col = self.collection(owner, repo, name)
                col.times(*times)
                count += 1
        for path in sorted((self.root / "pypi").glob("*.json")):
            self.pypi(path.stem)
            count += 1
        self.end_date()
        return count

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


# --- the simulator -----------------------------------------------------------------------------------


@dataclass
class SimResponse:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    truncate: bool = False  # declare the full length, send half, close


def _json(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:40] + '"'


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    candidates = {c.strip().removeprefix("W/") for c in header.split(",")}
    return etag in candidates


_ROUTES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^/repos/([^/]+)/([^/]+)/issues/comments$"), "github_issue_comments"),
    (re.compile(r"^/repos/([^/]+)/([^/]+)/commits$"), "github_commits"),
    (re.compile(r"^/repos/([^/]+)/([^/]+)/issues$"), "github_issues"),
    (re.compile(r"^/repos/([^/]+)/([^/]+)/releases$"), "github_releases"),
    (re.compile(r"^/repos/([^/]+)/([^/]+)$"), "github_repos"),
    (re.compile(r"^/api/packages/([^/]+)/(overall|python_major|python_minor|system)/?$"), "pypistats"),
    (re.compile(r"^/pypi/([^/]+)/json/?$"), "pypi_json"),
)


def _has_dot_segment(path: str) -> bool:
    """True when a segment of ``path`` (percent-decoded) is ``.`` or ``..``."""
    return any(unquote(segment) in (".", "..") for segment in path.split("/"))


def _new_stats() -> dict[str, Any]:
    return {
        "requests": 0,
        "counted": 0,
        "not_modified": 0,
        "rate_limited": 0,
        "faults": {"error": 0, "429": 0, "slow": 0, "malformed": 0, "truncated": 0},
        "by_collection": {},
        "authorized": 0,
    }


class Simulator:
    """The API logic, independent of sockets: :meth:`respond` maps a request to a :class:`SimResponse`."""

    def __init__(
        self, data_dir: Path, settings: SimSettings | None = None, *, clock: Any = time.time
    ) -> None:
        self.dataset = Dataset(Path(data_dir))
        self.settings = settings or SimSettings()
        self._clock = clock
        self._lock = threading.Lock()
        self._rng = random.Random(self.settings.seed)
        self._window_start: float | None = None
        self._used = 0
        self._stats = _new_stats()
        self._log: deque[dict[str, Any]] = deque(maxlen=200_000)
        self._seq = 0

    # --- control ---------------------------------------------------------------------------------------
    def configure(self, **values: Any) -> dict[str, Any]:
        with self._lock:
            self.settings.update(values)
            if "seed" in values:
                self._rng = random.Random(self.settings.seed)
            if "rate_limit" in values or "rate_window_s" in values:
                self._window_start, self._used = None, 0
            return asdict(self.settings)

    def reset(self) -> None:
        """Zero the counters, the request log and the GitHub budget (settings stay)."""
        with self._lock:
            self._stats = _new_stats()
            self._log.clear()
            self._window_start, self._used = None, 0

    def stats(self) -> dict[str, Any]:
        with self._lock:
            out = json.loads(json.dumps(self._stats))
            out["github_quota"] = self._quota_headers_locked(self._clock())
            out["log_seq"] = self._seq
            out["dataset"] = str(self.dataset.root.resolve())
            return out

    def requests(self, since: int = 0) -> list[dict[str, Any]]:
        """The request log: ``{seq, path, collection, status}`` after sequence number ``since``."""
        with self._lock:
            return [entry for entry in self._log if entry["seq"] > since]

    # --- accounting ------------------------------------------------------------------------------------
    def _quota_headers_locked(self, now: float) -> dict[str, str]:
        s = self.settings
        if self._window_start is None or now >= self._window_start + s.rate_window_s:
            self._window_start, self._used = now, 0
        reset = math.ceil(self._window_start + s.rate_window_s)
        return {
            "x-ratelimit-limit": str(s.rate_limit),
            "x-ratelimit-remaining": str(max(0, s.rate_limit - self._used)),
            "x-ratelimit-reset": str(reset),
            "x-ratelimit-used": str(self._used),
            "x-ratelimit-resource": "core",
        }

    def _record(self, collection: str, target: str, status: int, authorized: bool) -> None:
        st = self._stats
        st["requests"] += 1
        by = st["by_collection"].setdefault(collection, {"requests": 0, "counted": 0, "not_modified": 0})
        by["requests"] += 1
        if status == 304:
            st["not_modified"] += 1
            by["not_modified"] += 1
        else:
            st["counted"] += 1
            by["counted"] += 1
        if authorized:
            st["authorized"] += 1
        self._seq += 1
        self._log.append({"seq": self._seq, "path": target, "collection": collection, "status": status})

    # --- requests --------------------------------------------------------------------------------------
    def respond(
        self, method: str, target: str, headers: dict[str, str], host: str = "localhost", body: str = ""
    ) -> SimResponse:
        parts = urlsplit(target)
        path = parts.path
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        if path.startswith("/_sim/"):
            return self._control(method, path, query, body)
        if method not in ("GET", "HEAD"):
            return SimResponse(405, _json({"message": "Method Not Allowed"}))
        if _has_dot_segment(path):  # `/repos/../..` would name files outside the dataset
            return SimResponse(400, _json({"message": "Bad Request: '.' and '..' are not names"}))
        lower = {k.lower(): v for k, v in headers.items()}
        collection, match = "other", None
        for pattern, name in _ROUTES:
            match = pattern.match(path)
            if match:
                collection = name
                break
        if collection == "pypistats" and match:
            collection = f"pypistats_{match.group(2)}"
        is_github = collection.startswith("github_")
        authorized = bool(lower.get("authorization"))

        with self._lock:
            s = self.settings
            faulty = match is not None and (not s.fault_paths or re.search(s.fault_paths, target) is not None)
            dice = [self._rng.random() for _ in range(5)] if faulty else [1.0] * 5
            fault_settings = (
                s.error_rate,
                s.error_status,
                s.rate429_rate,
                s.retry_after_s,
                s.slow_rate,
                s.slow_s,
            )
            malformed_rate, truncate_rate = s.malformed_rate, s.truncate_rate
        error_rate, error_status, rate429_rate, retry_after_s, slow_rate, slow_s = fault_settings
        delay = 0.0
        if dice[0] < slow_rate:
            delay = slow_s
            self._bump_fault("slow")
        if dice[1] < error_rate:
            self._bump_fault("error")
            resp = SimResponse(error_status, _json({"message": "Server Error (injected by the simulator)"}))
            resp.delay_s = delay
            return self._finish(collection, target, resp, is_github, authorized, spend=False)
        if dice[2] < rate429_rate:
            self._bump_fault("429")
            retry = f"{retry_after_s:g}"
            resp = SimResponse(429, _json({"message": "You have exceeded a secondary rate limit."}))
            resp.headers["Retry-After"] = retry
            resp.delay_s = delay
            return self._finish(collection, target, resp, is_github, authorized, spend=False)

        try:
            resp = self._route(collection, match, query, host, path)
        except Exception as exc:  # a broken dataset file: say which
            log.exception("simulator: %s failed", target)
            resp = SimResponse(500, _json({"message": f"simulator error: {exc}"}))
        resp.delay_s = delay
        if resp.status == 200:
            etag = etag_of(resp.body)
            resp.headers["ETag"] = etag
            if _etag_matches(lower.get("if-none-match"), etag):
                return self._finish(
                    collection,
                    target,
                    SimResponse(304, b"", {"ETag": etag}, delay),
                    is_github,
                    authorized,
                    spend=False,
                )
        if is_github:
            with self._lock:
                quota = self._quota_headers_locked(self._clock())
                exhausted = int(quota["x-ratelimit-remaining"]) <= 0
            if exhausted:
                with self._lock:
                    self._stats["rate_limited"] += 1
                body = _json(
                    {
                        "message": "API rate limit exceeded (simulated by the osspulse API simulator).",
                        "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
                    }
                )
                return self._finish(
                    collection, target, SimResponse(403, body, {}, delay), is_github, authorized, spend=False
                )
        if resp.status == 200 and dice[3] < malformed_rate:
            self._bump_fault("malformed")
            resp.body = resp.body[: max(1, len(resp.body) // 2)]
            resp.headers.pop("ETag", None)
        elif resp.status == 200 and dice[4] < truncate_rate:
            self._bump_fault("truncated")
            resp.truncate = True
            resp.headers.pop("ETag", None)
        return self._finish(collection, target, resp, is_github, authorized, spend=True)

    def _bump_fault(self, name: str) -> None:
        with self._lock:
            self._stats["faults"][name] += 1

    def _finish(
        self,
        collection: str,
        target: str,
        resp: SimResponse,
        is_github: bool,
        authorized: bool,
        *,
        spend: bool,
    ) -> SimResponse:
        with self._lock:
            if is_github:
                if spend and resp.status != 304:
                    self._quota_headers_locked(self._clock())
                    self._used += 1
                resp.headers.update(self._quota_headers_locked(self._clock()))
            self._record(collection, target, resp.status, authorized)
        resp.headers.setdefault("Content-Type", "application/json; charset=utf-8")
        return resp

    # --- data endpoints --------------------------------------------------------------------------------
    def _route(
        self, collection: str, match: re.Match[str] | None, query: dict[str, str], host: str, path: str
    ) -> SimResponse:
        not_found = SimResponse(
            404, _json({"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
        )
        if match is None:
            return not_found
        ds = self.dataset
        if collection.startswith("github_"):
            owner, repo = match.group(1), match.group(2)
            if ds.repo_dir(owner, repo) is None:
                return not_found
            if collection == "github_repos":
                return SimResponse(200, ds.repo_json(owner, repo) or b"{}")
            if collection == "github_commits":
                return self._commits(ds.collection(owner, repo, "commits"), query, host, path)
            if collection == "github_issues":
                return self._issues(ds.collection(owner, repo, "issues"), query, host, path)
            if collection == "github_issue_comments":
                return self._comments(ds.collection(owner, repo, "comments"), query, host, path)
            if collection == "github_releases":
                return self._releases(ds.collection(owner, repo, "releases"), query, host, path)
        if collection.startswith("pypistats_"):
            return self._pypistats(match.group(1), match.group(2), query)
        if collection == "pypi_json":
            body = ds.pypi(match.group(1))
            return (
                SimResponse(200, body)
                if body is not None
                else SimResponse(404, _json({"message": "Not Found"}))
            )
        return not_found

    @staticmethod
    def _since(query: dict[str, str], name: str) -> float | None:
        value = query.get(name)
        if not value:
            return None
        try:
            return _epoch(value)
        except ValueError:
            return None

    def _page(self, rows: list[bytes], query: dict[str, str], host: str, path: str) -> SimResponse:
        try:
            per_page = min(100, max(1, int(query.get("per_page") or 30)))
            page = max(1, int(query.get("page") or 1))
        except ValueError:
            return SimResponse(422, _json({"message": "Validation Failed: per_page and page are integers"}))
        last = max(1, math.ceil(len(rows) / per_page))
        chunk = rows[(page - 1) * per_page : page * per_page]
        overlap = self.settings.page_overlap
        if overlap and page > 1 and chunk:  # records that "moved" across a page boundary: served twice
            chunk = rows[max(0, (page - 1) * per_page - overlap) : (page - 1) * per_page] + chunk
        links = []

        def link(n: int, rel: str) -> str:
            params = {**query, "page": str(n)}
            return f'<http://{host}{path}?{urlencode(params)}>; rel="{rel}"'

        if page > 1:
            links += [link(min(page - 1, last), "prev"), link(1, "first")]
        if page < last:
            links += [link(page + 1, "next"), link(last, "last")]
        headers = {"Link": ", ".join(links)} if links else {}
        return SimResponse(200, b"[" + b",".join(chunk) + b"]", headers)

    def _commits(self, col: Collection, query: dict[str, str], host: str, path: str) -> SimResponse:
        if not col.items:
            return SimResponse(
                409,
                _json(
                    {
                        "message": "Git Repository is empty.",
                        "documentation_url": "https://docs.github.com/rest",
                    }
                ),
            )
        times = col.times("commit", "committer", "date")
        since, until = self._since(query, "since"), self._since(query, "until")
        order = sorted(range(len(col.items)), key=lambda i: (times[i], i), reverse=True)  # newest first
        rows = [
            col.raw[i]
            for i in order
            if (since is None or times[i] >= since) and (until is None or times[i] <= until)
        ]
        return self._page(rows, query, host, path)

    def _issues(self, col: Collection, query: dict[str, str], host: str, path: str) -> SimResponse:
        state = query.get("state") or "open"
        sort = query.get("sort") or "created"
        direction = query.get("direction") or "desc"
        if state not in ("open", "closed", "all") or sort not in ("created", "updated", "comments"):
            return SimResponse(422, _json({"message": "Validation Failed: state or sort"}))
        since = self._since(query, "since")
        updated = col.times("updated_at")
        if sort == "comments":
            key_values = [float(item.get("comments") or 0) for item in col.items]
        else:
            key_values = col.times(f"{sort}_at")
        chosen = [
            i
            for i, item in enumerate(col.items)
            if (state == "all" or item.get("state") == state) and (since is None or updated[i] >= since)
        ]
        chosen.sort(
            key=lambda i: (key_values[i], col.items[i].get("number") or 0), reverse=direction != "asc"
        )
        return self._page([col.raw[i] for i in chosen], query, host, path)

    def _comments(self, col: Collection, query: dict[str, str], host: str, path: str) -> SimResponse:
        sort = query.get("sort") or "created"
        direction = query.get("direction") or "asc"
        if sort not in ("created", "updated"):
            return SimResponse(422, _json({"message": "Validation Failed: sort"}))
        since = self._since(query, "since")
        updated = col.times("updated_at")
        key_values = col.times(f"{sort}_at")
        chosen = [i for i in range(len(col.items)) if since is None or updated[i] >= since]
        chosen.sort(key=lambda i: (key_values[i], col.items[i].get("id") or 0), reverse=direction != "asc")
        return self._page([col.raw[i] for i in chosen], query, host, path)

    def _releases(self, col: Collection, query: dict[str, str], host: str, path: str) -> SimResponse:
        created = col.times("created_at")
        order = sorted(
            range(len(col.items)), key=lambda i: (created[i], col.items[i].get("id") or 0), reverse=True
        )
        return self._page([col.raw[i] for i in order], query, host, path)

    def _pypistats(self, package: str, metric: str, query: dict[str, str]) -> SimResponse:
        source_metric = "python_minor" if metric == "python_major" else metric
        body = self.dataset.pypistats(package, source_metric)
        if body is None:
            return SimResponse(404, _json({"message": "Not Found"}))
        end = (
            date.fromisoformat(self.settings.end_date) if self.settings.end_date else self.dataset.end_date()
        )
        rows = [r for r in body.get("data", []) if isinstance(r, dict)]
        if end is not None:
            first = (end - timedelta(days=self.settings.pypistats_days - 1)).isoformat()
            rows = [r for r in rows if first <= str(r.get("date")) <= end.isoformat()]
        if metric == "overall" and query.get("mirrors") in ("true", "false"):
            wanted = "with_mirrors" if query["mirrors"] == "true" else "without_mirrors"
            rows = [r for r in rows if r.get("category") == wanted]
        if metric == "python_major":
            sums: dict[tuple[str, str], int] = {}
            for r in rows:
                category = str(r.get("category"))
                major = category.split(".")[0] if category != "null" else "null"
                sums[(r["date"], major)] = sums.get((r["date"], major), 0) + int(r.get("downloads") or 0)
            rows = [{"category": c, "date": d, "downloads": n} for (d, c), n in sorted(sums.items())]
        out = {"data": rows, "package": body.get("package", package), "type": PYPISTATS_TYPES[metric]}
        return SimResponse(200, _json(out))

    # --- control endpoints -----------------------------------------------------------------------------
    def _control(self, method: str, path: str, query: dict[str, str], body: str) -> SimResponse:
        if path == "/_sim/stats" and method == "GET":
            return SimResponse(200, _json(self.stats()))
        if path == "/_sim/log" and method == "GET":
            return SimResponse(200, _json(self.requests(int(query.get("since") or 0))))
        if path == "/_sim/preload" and method == "POST":
            return SimResponse(200, _json({"files": self.dataset.preload()}))
        if path == "/_sim/reset" and method == "POST":
            self.reset()
            return SimResponse(200, _json({"reset": True}))
        if path == "/_sim/settings" and method == "GET":
            with self._lock:
                return SimResponse(200, _json(asdict(self.settings)))
        if path == "/_sim/settings" and method == "POST":
            try:
                values = json.loads(body or "{}")
                if not isinstance(values, dict):
                    raise ValueError("the body must be a JSON object of settings")
                return SimResponse(200, _json(self.configure(**values)))
            except (ValueError, TypeError) as exc:
                return SimResponse(400, _json({"message": str(exc)}))
        return SimResponse(404, _json({"message": f"no control endpoint {method} {path}"}))


# --- HTTP plumbing -----------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "osspulse-fakeapi/1"
    simulator: Simulator  # set on the subclass made per server

    def _serve(self, method: str) -> None:
        headers = dict(self.headers.items())
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        host = self.headers.get("Host") or "localhost"
        resp = self.simulator.respond(method, self.path, headers, host, body)
        if resp.delay_s:
            time.sleep(resp.delay_s)
        self.send_response(resp.status)
        for name, value in resp.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(resp.body)))
        if resp.truncate:
            self.send_header("Connection", "close")
        self.end_headers()
        if method == "HEAD" or resp.status == 304:
            return
        if resp.truncate:
            self.wfile.write(resp.body[: len(resp.body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(resp.body)

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        self._serve("GET")

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve("HEAD")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the http.server API
        log.debug("fakeapi %s - %s", self.address_string(), format % args)


class SimulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, simulator: Simulator, host: str = "127.0.0.1", port: int = 0) -> None:
        handler = type("Handler", (_Handler,), {"simulator": simulator})
        super().__init__((host, port), handler)
        self.simulator = simulator

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("fakeapi: connection from %s ended with an error", client_address, exc_info=True)


@dataclass
class SimulatorHandle:
    """A running simulator: its base URL, its counters and its settings."""

    url: str
    simulator: Simulator
    server: SimulatorServer

    def stats(self) -> dict[str, Any]:
        return self.simulator.stats()

    def requests(self, since: int = 0) -> list[dict[str, Any]]:
        return self.simulator.requests(since)

    def configure(self, **values: Any) -> dict[str, Any]:
        return self.simulator.configure(**values)

    def reset(self) -> None:
        self.simulator.reset()

    def settings_for(self, settings: Any, **update: Any) -> Any:
        """A copy of OSS Pulse ``Settings`` whose three API base URLs point at this simulator."""
        urls = {"github_api_url": self.url, "pypistats_url": self.url, "pypi_url": self.url}
        return settings.model_copy(update={**urls, **update})


@contextmanager
def running_simulator(
    data_dir: Path | str, *, host: str = "127.0.0.1", port: int = 0, **settings: Any
) -> Iterator[SimulatorHandle]:
    """Start the simulator in this process on a free port (``port=0``) over ``data_dir``.

    ``settings`` are :class:`SimSettings` fields (rate_limit, error_rate, ...). Example::

        with running_simulator(tmp_path / "data", error_rate=0.2) as sim:
            ingest_github(sim.settings_for(settings), None, load_date)
            assert sim.stats()["counted"] > 0
    """
    sim_settings = SimSettings()
    sim_settings.update(settings)
    simulator = Simulator(Path(data_dir), sim_settings)
    server = SimulatorServer(simulator, host, port)
    thread = threading.Thread(target=server.serve_forever, name="fakeapi", daemon=True)
    thread.start()
    try:
        yield SimulatorHandle(server.url, simulator, server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def serve(data_dir: Path, host: str, port: int, **settings: Any) -> None:
    """Serve in the foreground until interrupted (``osspulse fake-api serve``)."""
    if not Path(data_dir).is_dir():
        raise FileNotFoundError(
            f"{data_dir}: no dataset here; create one with `osspulse fake-api generate --out DIR`"
        )
    sim_settings = SimSettings()
    sim_settings.update(settings)
    server = SimulatorServer(Simulator(Path(data_dir), sim_settings), host, port)
    log.info("API simulator on %s over %s (GitHub, pypistats and PyPI base URL)", server.url, data_dir)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        log.info("stopped")
    finally:
        server.server_close()
