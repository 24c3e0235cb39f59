"""The API simulator: GitHub REST, pypistats and PyPI JSON semantics over a dataset directory.

The dataset format is described in :mod:`osspulse_sim.dataset`, GitHub's semantics in
:mod:`osspulse_sim.github`, pypistats' and PyPI's in :mod:`osspulse_sim.pypi`, the settings (real-API
behaviours, limits, faults) in :mod:`osspulse_sim.settings`. This module holds what every request goes
through (accounting, GitHub's rate limits and tokens, fault injection, ETags and 304s), the control
endpoints (``GET /_sim/stats``, ``GET /_sim/log?since=N``, ``GET|POST /_sim/settings``,
``POST /_sim/reset``, ``POST /_sim/preload``) and the HTTP server.
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
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from datetime import time as dtime
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from osspulse_sim.dataset import PYPISTATS_TYPES, Collection, Dataset  # noqa: F401 - re-exported
from osspulse_sim.github import Answer, GitHubApi, classify
from osspulse_sim.pypi import PYPI_PATH, PYPISTATS_PATH, PyPIApi
from osspulse_sim.settings import SimSettings

log = logging.getLogger(__name__)

SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you "
    "reach out to GitHub Support for help, please include the request ID."
)


def _has_dot_segment(path: str) -> bool:
    """True when a segment of ``path`` (percent-decoded) is ``.`` or ``..``."""
    return any(unquote(segment) in (".", "..") for segment in path.split("/"))


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


def _classify(path: str) -> str:
    github = classify(path)
    if github is not None:
        return github
    m = PYPISTATS_PATH.match(path)
    if m:
        return f"pypistats_{m.group(2)}"
    return "pypi_json" if PYPI_PATH.match(path) else "other"


def _new_stats() -> dict[str, Any]:
    return {
        "requests": 0,
        "counted": 0,
        "not_modified": 0,
        "rate_limited": 0,
        "secondary_limited": 0,
        "unauthorized": 0,
        "pypistats_limited": 0,
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
        self.github = GitHubApi(self.dataset, self.settings)
        self.pypi = PyPIApi(self.dataset, self.settings)
        self._clock = clock
        self._lock = threading.Lock()
        self._rng = random.Random(self.settings.seed)
        self._window_start: float | None = None
        self._used = 0
        self._secondary_left = 0
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
        """Zero the counters, the request log and the budgets (settings stay)."""
        with self._lock:
            self._stats = _new_stats()
            self._log.clear()
            self._window_start, self._used, self._secondary_left = None, 0, 0
        self.pypi.limiter.reset()

    def stats(self) -> dict[str, Any]:
        with self._lock:
            out = json.loads(json.dumps(self._stats))
            out["github_quota"] = self._quota_headers_locked(self._clock())
            out["log_seq"] = self._seq
            out["dataset"] = str(self.dataset.root.resolve())
        out["pypistats_max_in_window"] = self.pypi.limiter.max_in_window
        out["pypistats_max_in_second"] = self.pypi.limiter.max_in_second
        return out

    def requests(self, since: int = 0) -> list[dict[str, Any]]:
        """The request log: ``{seq, t, path, collection, status}`` after sequence number ``since``."""
        with self._lock:
            return [entry for entry in self._log if entry["seq"] > since]

    def http_time(self) -> float:
        """The simulator's clock for ``Date``: ``as_of``, else the end of the dataset's last day.

        So a dataset is served as of its own "today" (its latest pypistats date, else its newest commit),
        whatever the machine's date; a dataset with neither is served at the machine's time.
        """
        as_of = self.settings.as_of_epoch()
        if as_of is not None:
            return as_of
        end = self.dataset.end_date() or self.dataset.latest_commit_date()
        if end is None:
            return time.time()
        return datetime.combine(end, dtime(23, 59, 59), UTC).timestamp()

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
        entry = {
            "seq": self._seq,
            "t": time.monotonic(),
            "path": target,
            "collection": collection,
            "status": status,
        }
        self._log.append(entry)

    def _bump(self, name: str, fault: bool = False) -> None:
        with self._lock:
            if fault:
                self._stats["faults"][name] += 1
            else:
                self._stats[name] += 1

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
        collection = _classify(path)
        is_github = collection.startswith("github_")
        authorization = lower.get("authorization", "")
        authorized = bool(authorization)

        def finish(resp: SimResponse, spend: bool = False) -> SimResponse:
            return self._finish(collection, target, resp, is_github, authorized, spend=spend)

        if is_github and self.settings.tokens and authorized:
            token = authorization.split(" ", 1)[-1].strip()
            if token not in {t.strip() for t in self.settings.tokens.split(",")}:
                self._bump("unauthorized")
                body401 = {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}
                return finish(SimResponse(401, _json(body401)))
        dice = self._dice(collection, target)
        delay = self.settings.slow_s if dice[0] < self.settings.slow_rate else 0.0
        if delay:
            self._bump("slow", fault=True)
        fault = self._injected(dice, is_github)
        if fault is not None:
            fault.delay_s = delay
            return finish(fault)
        try:
            resp = self._route(collection, path, query, host)
        except Exception as exc:  # a broken dataset file: say which
            log.exception("simulator: %s failed", target)
            resp = SimResponse(500, _json({"message": f"simulator error: {exc}"}))
        resp.delay_s = delay
        if resp.status == 200 and not collection.startswith("pypistats_"):  # pypistats sends no ETag
            etag = etag_of(resp.body)
            resp.headers["ETag"] = etag
            if _etag_matches(lower.get("if-none-match"), etag):
                return finish(SimResponse(304, b"", {"ETag": etag}, delay))
        if is_github and self._exhausted():
            body403 = {
                "message": "API rate limit exceeded (simulated by the osspulse API simulator).",
                "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
            }
            return finish(SimResponse(403, _json(body403), {}, delay))
        if resp.status == 200 and dice[3] < self.settings.malformed_rate:
            self._bump("malformed", fault=True)
            resp.body = resp.body[: max(1, len(resp.body) // 2)]
            resp.headers.pop("ETag", None)
        elif resp.status == 200 and dice[4] < self.settings.truncate_rate:
            self._bump("truncated", fault=True)
            resp.truncate = True
            resp.headers.pop("ETag", None)
        return finish(resp, spend=True)

    def _dice(self, collection: str, target: str) -> list[float]:
        with self._lock:
            s = self.settings
            faulty = collection != "other" and (
                not s.fault_paths or re.search(s.fault_paths, target) is not None
            )
            return [self._rng.random() for _ in range(6)] if faulty else [1.0] * 6

    def _injected(self, dice: list[float], is_github: bool) -> SimResponse | None:
        s = self.settings
        if dice[1] < s.error_rate:
            self._bump("error", fault=True)
            return SimResponse(s.error_status, _json({"message": "Server Error (injected by the simulator)"}))
        if dice[2] < s.rate429_rate:
            self._bump("429", fault=True)
            resp = SimResponse(429, _json({"message": "You have exceeded a secondary rate limit."}))
            resp.headers["Retry-After"] = f"{s.retry_after_s:g}"
            return resp
        if is_github:
            with self._lock:
                hit = self._secondary_left > 0 or dice[5] < s.secondary_rate
                if hit:
                    self._secondary_left = (
                        self._secondary_left - 1 if self._secondary_left > 0 else s.secondary_burst
                    )
                    self._stats["secondary_limited"] += 1
            if hit:
                body = {
                    "message": SECONDARY_MESSAGE,
                    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
                }
                return SimResponse(403, _json(body))
        return None

    def _exhausted(self) -> bool:
        with self._lock:
            quota = self._quota_headers_locked(self._clock())
            if int(quota["x-ratelimit-remaining"]) <= 0:
                self._stats["rate_limited"] += 1
                return True
        return False

    def _route(self, collection: str, path: str, query: dict[str, str], host: str) -> SimResponse:
        if collection.startswith("github_"):
            answer = self.github.answer(path, query, host)
        elif collection.startswith("pypistats_"):
            m = PYPISTATS_PATH.match(path)
            answer = self.pypi.pypistats(m.group(1), m.group(2))
            if answer.status == 429:
                self._bump("pypistats_limited")
            if m.group(2) == "overall":
                answer = self.pypi.pypistats_with_mirrors(answer, query.get("mirrors"))
        elif collection == "pypi_json":
            answer = self.pypi.pypi_json(PYPI_PATH.match(path).group(1), host)
        else:
            answer = Answer(
                404, _json({"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
            )
        return SimResponse(answer.status, answer.body, dict(answer.headers))

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

    def date_time_string(self, timestamp: float | None = None) -> str:  # the Date header
        return formatdate(self.simulator.http_time() if timestamp is None else timestamp, usegmt=True)

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
