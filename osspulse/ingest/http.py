"""The one HTTP client of the ingest: timeouts, retries with backoff, rate limits, conditional requests.

Every source (GitHub REST, pypistats, PyPI JSON) goes through :class:`ApiClient`. What it does:

* ``If-None-Match`` with a stored ETag; a ``304`` is returned as such (GitHub does not count it).
* GitHub's ``x-ratelimit-remaining/reset`` are tracked across threads (:class:`GitHubRateLimit`): when
  only the reserve is left, requests sleep until the reset instead of running dry.
* ``403``/``429`` from a rate limit: wait until ``x-ratelimit-reset`` (primary limit) or ``retry-after``
  (secondary limit), else at least ``github_secondary_wait_s`` with backoff.
* ``5xx``, timeouts, broken connections, truncated or malformed bodies: exponential backoff with jitter,
  up to ``http_max_retries``; then :class:`ApiError` naming the request and what to do.
* pypistats allows about 30 requests a minute per IP and sends no rate headers: a sliding-window
  limiter shared by the process (:class:`SlidingWindowLimiter`).

The token only ever travels in the ``Authorization`` header: it is never part of a URL, a log line or
an error message.
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from osspulse.settings import Settings

log = logging.getLogger(__name__)

PER_PAGE = 100  # GitHub's maximum page size


class ApiError(RuntimeError):
    """A request failed for good; the message names the request, the answer and what to do."""

    def __init__(self, message: str, *, url: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class RateLimitExhausted(ApiError):
    """The rate limit resets later than ``http_max_wait_s`` allows us to wait."""


# --- pure helpers ------------------------------------------------------------------------------------

_LINK_RE = re.compile(r'<([^>]*)>\s*;\s*rel="?([^",]+)"?')


def parse_link(header: str | None) -> dict[str, str]:
    """``{rel: url}`` of an RFC 8288 ``Link`` header (GitHub pagination)."""
    if not header:
        return {}
    return {rel: url for url, rel in _LINK_RE.findall(header)}


def build_url(base: str, path: str, params: Iterable[tuple[str, Any]] = ()) -> str:
    """``base + path + ?query``: the one way request URLs are spelled, so stored ETag URLs match."""
    query = urlencode([(k, str(v)) for k, v in params if v is not None])
    return f"{base.rstrip('/')}{path}" + (f"?{query}" if query else "")


def display_url(url: str) -> str:
    """The path and query of a URL (what logs and errors show)."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _header_float(headers: Mapping[str, str], name: str) -> float | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


@dataclass(frozen=True)
class RetryPolicy:
    """When to retry and how long to wait; pure, so the decisions are unit-tested."""

    max_retries: int = 6
    backoff_base_s: float = 0.5
    backoff_max_s: float = 60.0
    secondary_wait_s: float = 60.0
    max_wait_s: float = 3900.0

    @classmethod
    def from_settings(cls, s: Settings) -> RetryPolicy:
        return cls(
            max_retries=s.http_max_retries,
            backoff_base_s=s.http_backoff_base_s,
            backoff_max_s=s.http_backoff_max_s,
            secondary_wait_s=s.github_secondary_wait_s,
            max_wait_s=s.http_max_wait_s,
        )

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """Exponential backoff with "equal jitter": half fixed, half random (attempt counts from 0)."""
        ceiling = min(self.backoff_max_s, self.backoff_base_s * (2**attempt))
        return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)

    def rate_limit_wait(
        self, status: int, headers: Mapping[str, str], body: str, now: float, attempt: int
    ) -> float | None:
        """Seconds to wait before retrying a 403/429, or None when it is not a rate limit."""
        remaining = _header_float(headers, "x-ratelimit-remaining")
        reset = _header_float(headers, "x-ratelimit-reset")
        if remaining == 0 and reset is not None:  # primary limit: wait for the window to reset
            return max(1.0, reset - now + 1.0)
        retry_after = _header_float(headers, "retry-after")
        if retry_after is not None:  # secondary limit (or pypistats): as told
            return max(0.0, retry_after)
        if status == 429 or "rate limit" in body.lower():  # secondary limit without a hint
            return max(self.secondary_wait_s, self.backoff(attempt))
        return None


@dataclass(frozen=True)
class Decision:
    action: str  # "return" | "retry" | "fail"
    wait_s: float = 0.0
    reason: str = ""


def decide(
    policy: RetryPolicy,
    status: int | None,
    headers: Mapping[str, str],
    *,
    body: str = "",
    now: float,
    attempt: int,
    allow: Iterable[int] = (),
    rng: random.Random | None = None,
) -> Decision:
    """What to do with an answer (``status None`` = no answer: timeout or broken connection)."""
    if status is None or status == 408 or status >= 500:
        return Decision("retry", policy.backoff(attempt, rng), f"HTTP {status}" if status else "no answer")
    if status in (403, 429):
        wait = policy.rate_limit_wait(status, headers, body, now, attempt)
        if wait is not None:
            return Decision("retry", wait, f"rate limited (HTTP {status})")
    if 200 <= status < 300 or status == 304 or status in set(allow):
        return Decision("return")
    return Decision("fail", reason=f"HTTP {status}")


def _what_to_do(status: int | None, source: str) -> str:
    if status == 401:
        return f"{source} rejected the credentials: check GITHUB_TOKEN (or the Airflow connection)"
    if status == 403:
        return f"{source} refused access: check that the token can read this resource"
    if status == 404:
        return "it does not exist: check the name in the tracked set"
    if status == 422:
        return "the request was invalid: this is a bug in osspulse.ingest, please report it"
    if status is None or status >= 500:
        return f"{source} kept failing: retry later (the next run resumes where this one stopped)"
    return "see the answer above"


# --- rate limiters -----------------------------------------------------------------------------------


class NoLimit:
    def acquire(self) -> None:
        return None

    def release(self, headers: Mapping[str, str] | None) -> None:
        return None


class SlidingWindowLimiter:
    """At most ``max_requests`` in any ``window_s`` seconds (pypistats: 30 a minute), across threads."""

    def __init__(
        self,
        max_requests: int,
        window_s: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.max_requests = max_requests
        self.window_s = window_s
        self._clock, self._sleep = clock, sleep
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()
        self.waited_s = 0.0

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = self._clock()
                while self._sent and now - self._sent[0] >= self.window_s:
                    self._sent.popleft()
                if len(self._sent) < self.max_requests:
                    self._sent.append(now)
                    return
                wait = self._sent[0] + self.window_s - now
            log.debug("pypistats limit (%d/%.0fs): waiting %.1fs", self.max_requests, self.window_s, wait)
            self.waited_s += wait
            self._sleep(wait)

    def release(self, headers: Mapping[str, str] | None) -> None:
        return None


_SHARED_LIMITERS: dict[tuple[int, float], SlidingWindowLimiter] = {}
_SHARED_LOCK = threading.Lock()


def shared_window_limiter(max_requests: int, window_s: float = 60.0) -> SlidingWindowLimiter:
    """One limiter per process and budget: the pypistats limit is per IP, not per client."""
    with _SHARED_LOCK:
        key = (max_requests, window_s)
        if key not in _SHARED_LIMITERS:
            _SHARED_LIMITERS[key] = SlidingWindowLimiter(max_requests, window_s)
        return _SHARED_LIMITERS[key]


class GitHubRateLimit:
    """GitHub's primary rate limit as last reported, shared by the threads of one client.

    ``remaining`` only falls within a window (a 304 costs nothing, so it stays put), so the lowest value
    seen for the current reset time is the truth; requests still in flight may each cost one more.
    """

    def __init__(
        self,
        reserve: int,
        max_wait_s: float,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.reserve = reserve
        self.max_wait_s = max_wait_s
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self.remaining: int | None = None
        self.reset: float | None = None
        self._in_flight = 0
        self.waited_s = 0.0

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = self._clock()
                if self.reset is not None and now >= self.reset:
                    self.remaining = self.reset = None  # a new window: unknown until the next answer
                if self.remaining is None or self.remaining - self._in_flight > self.reserve:
                    self._in_flight += 1
                    return
                wait = self.reset - now + 1.0 if self.reset is not None else 1.0
            if wait > self.max_wait_s:
                raise RateLimitExhausted(
                    f"GitHub rate limit: {self.remaining} requests left until "
                    f"{datetime.fromtimestamp(self.reset or now, UTC):%H:%M:%SZ}, longer than "
                    f"OSSPULSE_HTTP_MAX_WAIT_S={self.max_wait_s:.0f}s allows; rerun later or use a token"
                )
            log.warning(
                "GitHub rate limit: %s requests left, sleeping %.1fs until the reset", self.remaining, wait
            )
            self.waited_s += wait
            self._sleep(wait)

    def release(self, headers: Mapping[str, str] | None) -> None:
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)
            if not headers:
                return
            remaining = _header_float(headers, "x-ratelimit-remaining")
            reset = _header_float(headers, "x-ratelimit-reset")
            if remaining is None or reset is None:
                return
            if self.reset is None or reset > self.reset:  # first answer of a (new) window
                self.reset, self.remaining = reset, int(remaining)
            elif reset == self.reset:
                self.remaining = min(
                    self.remaining if self.remaining is not None else int(remaining), int(remaining)
                )


# --- the client --------------------------------------------------------------------------------------


@dataclass
class RequestCounts:
    """Requests of one repo/package run: quota-counted (every answer but 304), 304s, retries."""

    counted: int = 0
    not_modified: int = 0
    retries: int = 0
    waited_s: float = 0.0

    def add(self, other: RequestCounts) -> None:
        self.counted += other.counted
        self.not_modified += other.not_modified
        self.retries += other.retries
        self.waited_s += other.waited_s


@dataclass(frozen=True)
class ApiResponse:
    status: int
    url: str
    body: Any
    etag: str | None
    links: dict[str, str] = field(default_factory=dict)
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def next_url(self) -> str | None:
        return self.links.get("next")


class ApiClient:
    """One HTTP client per source; thread-safe (one ``httpx.Client`` and one limiter underneath)."""

    def __init__(
        self,
        settings: Settings,
        *,
        source: str,
        base_url: str,
        headers: Mapping[str, str] | None = None,
        token: str | None = None,
        limiter: NoLimit | SlidingWindowLimiter | GitHubRateLimit | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.source = source
        self.base_url = base_url.rstrip("/")
        self.policy = RetryPolicy.from_settings(settings)
        self.limiter = limiter or NoLimit()
        self._sleep = sleep
        self._rng = rng or random.Random()
        all_headers = {"User-Agent": settings.user_agent, **(headers or {})}
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(
            headers=all_headers,
            timeout=httpx.Timeout(settings.http_timeout_s),
            follow_redirects=True,
            transport=transport,
        )

    def __repr__(self) -> str:  # never show headers (the token)
        return f"ApiClient({self.source}, {self.base_url})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, path: str, params: Iterable[tuple[str, Any]] = ()) -> str:
        """A request URL under the base URL, spelled relative to it (``/repos/...?...``).

        State (ETag URLs, resume cursors) stores this relative form, so it survives a change of the
        base URL's host or port (e.g. a restarted simulator).
        """
        return build_url("", path, params)

    def relative(self, url: str) -> str:
        """``url`` without the base URL, if it is under it (Link headers carry absolute URLs)."""
        return url[len(self.base_url) :] if url.startswith(self.base_url + "/") else url

    def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        expect: type = dict,
        allow: Iterable[int] = (),
        counts: RequestCounts | None = None,
        check: Callable[[Any], str] | None = None,
    ) -> ApiResponse:
        """GET ``url`` (absolute, or a path under the base URL) until a usable answer.

        Returns 2xx answers with a parsed body of type ``expect``, 304s (body None) and the statuses in
        ``allow`` (body parsed if possible); raises :class:`ApiError` otherwise. ``check(body)`` returns
        a problem (non-empty string) for a 2xx body that parses but is not what the endpoint promises:
        such a body is treated like malformed JSON (retried, then failed).
        """
        if not url.startswith(("http://", "https://")):
            url = self.base_url + url
        allow = tuple(allow)
        counts = counts if counts is not None else RequestCounts()
        shown = display_url(url)
        request_headers = {"If-None-Match": etag} if etag else {}
        attempt = 0
        rate_waits = 0
        while True:
            self.limiter.acquire()
            response: httpx.Response | None = None
            content = b""
            problem = ""
            try:
                response = self._http.get(url, headers=request_headers)
                content = response.content  # reads the whole body: a truncated one raises here
            except httpx.TimeoutException:
                problem = f"no answer within {self._http.timeout.read}s"
            except httpx.TransportError as exc:  # refused, reset, truncated body ...
                problem = f"{type(exc).__name__}: {exc}"
            finally:
                self.limiter.release(response.headers if response is not None else None)

            status = response.status_code if response is not None else None
            if status is not None:
                if status == 304:
                    counts.not_modified += 1
                else:
                    counts.counted += 1
            body_text = content.decode("utf-8", "replace")[:500] if response is not None else ""
            decision = decide(
                self.policy,
                status,
                response.headers if response is not None else {},
                body=body_text,
                now=time.time(),
                attempt=attempt,
                allow=allow,
                rng=self._rng,
            )
            if decision.action == "return" and status is not None and status != 304:
                body, problem = self._parse(content, expect if 200 <= status < 300 else None)
                if not problem and check is not None and 200 <= status < 300:
                    problem = check(body)
                if problem and 200 <= status < 300:
                    decision = Decision("retry", self.policy.backoff(attempt, self._rng), problem)
                else:
                    return ApiResponse(
                        status,
                        str(response.url),
                        body,
                        response.headers.get("etag"),
                        {
                            rel: self.relative(u)
                            for rel, u in parse_link(response.headers.get("link")).items()
                        },
                    )
            elif decision.action == "return":
                return ApiResponse(304, str(response.url), None, response.headers.get("etag") or etag)

            reason = problem or decision.reason
            if decision.action == "fail":
                raise ApiError(
                    f"{self.source}: GET {shown} answered HTTP {status}: {_message(body_text)}; "
                    f"{_what_to_do(status, self.source)}",
                    url=shown,
                    status=status,
                )
            is_rate_limit = status in (403, 429) and "rate limited" in decision.reason
            if is_rate_limit:
                rate_waits += 1
            else:
                attempt += 1
            if attempt > self.policy.max_retries or rate_waits > self.policy.max_retries + 4:
                raise ApiError(
                    f"{self.source}: GET {shown} failed after {attempt + rate_waits} attempts ({reason}); "
                    f"{_what_to_do(status, self.source)}",
                    url=shown,
                    status=status,
                )
            if decision.wait_s > self.policy.max_wait_s:
                raise RateLimitExhausted(
                    f"{self.source}: GET {shown} is rate limited for {decision.wait_s:.0f}s, longer than "
                    f"OSSPULSE_HTTP_MAX_WAIT_S={self.policy.max_wait_s:.0f}s allows; rerun later",
                    url=shown,
                    status=status,
                )
            counts.retries += 1
            counts.waited_s += decision.wait_s
            log.warning(
                "%s: GET %s: %s; retry %d in %.2fs",
                self.source,
                shown,
                reason,
                attempt + rate_waits,
                decision.wait_s,
            )
            self._sleep(decision.wait_s)

    @staticmethod
    def _parse(content: bytes, expect: type | None) -> tuple[Any, str]:
        """(parsed body, problem): a body that is not JSON of the expected shape is a problem."""
        try:
            body = json.loads(content) if content else None
        except ValueError as exc:
            return None, f"malformed JSON ({exc.msg} at byte {exc.pos} of {len(content)})"
        if expect is not None and not isinstance(body, expect):
            return body, f"expected a JSON {expect.__name__}, got {type(body).__name__}"
        return body, ""


def _message(body_text: str) -> str:
    """The ``message`` of a JSON error body (GitHub, PyPI), else the start of the text."""
    try:
        body = json.loads(body_text)
        if isinstance(body, dict) and body.get("message"):
            return str(body["message"])[:200]
    except ValueError:
        pass
    return body_text.strip()[:200] or "(empty body)"


# --- the clients of each source ----------------------------------------------------------------------

GITHUB_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}


def github_client(settings: Settings, token: str | None = None, **kwargs: Any) -> ApiClient:
    """The GitHub REST client; ``token`` defaults to ``GITHUB_TOKEN``."""
    token = token if token is not None else settings.github_token.get_secret_value()
    limiter = GitHubRateLimit(settings.github_ratelimit_reserve, settings.http_max_wait_s)
    return ApiClient(
        settings,
        source="GitHub",
        base_url=settings.github_api_url,
        headers=GITHUB_HEADERS,
        token=token or None,
        limiter=limiter,
        **kwargs,
    )


def pypistats_client(settings: Settings, **kwargs: Any) -> ApiClient:
    limiter = kwargs.pop("limiter", None) or shared_window_limiter(settings.pypistats_requests_per_minute)
    return ApiClient(
        settings,
        source="pypistats",
        base_url=settings.pypistats_url,
        headers={"Accept": "application/json"},
        limiter=limiter,
        **kwargs,
    )


def pypi_client(settings: Settings, **kwargs: Any) -> ApiClient:
    return ApiClient(
        settings, source="PyPI", base_url=settings.pypi_url, headers={"Accept": "application/json"}, **kwargs
    )
