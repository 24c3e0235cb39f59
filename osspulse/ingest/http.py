"""The one HTTP client of the ingest: timeouts, retries with backoff, rate limits, conditional requests.

Every source (GitHub REST, pypistats, PyPI JSON) goes through :class:`ApiClient`. What it does:

* ``If-None-Match`` with a stored ETag; a ``304`` is returned as such (GitHub does not count it).
* GitHub's ``x-ratelimit-remaining/reset`` are tracked across threads (:class:`GitHubRateLimit`): when
  only the reserve is left, requests sleep until the reset instead of running dry.
* ``403``/``429`` from a rate limit: wait until ``x-ratelimit-reset`` (primary limit) or ``retry-after``;
  a secondary limit without a hint (GitHub mostly sends a 403 "You have exceeded a secondary rate
  limit") waits ``github_secondary_wait_s``, doubling at each repeat, and *every* worker pauses
  (:class:`osspulse.ingest.limits.PauseGate`).
* ``401``: fails at once, naming the token setting (no retry loop).
* ``5xx``, timeouts, broken connections, truncated or malformed bodies: exponential backoff with jitter,
  up to ``http_max_retries``; then :class:`ApiError` naming the request and what to do. The retry
  loop is tenacity's; the decisions (:func:`decide`) are pure and unit-tested.
* pypistats allows 5 requests a second and 30 a minute per IP and sends no rate headers: one budget
  for every process, in Postgres (:func:`osspulse.ingest.limits.pypistats_limiter`).

The token only ever travels in the ``Authorization`` header: it is never part of a URL, a log line or
an error message.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import tenacity

from osspulse.ingest.errors import ApiError, CredentialsError, RateLimitExhausted
from osspulse.ingest.limits import (
    GitHubRateLimit,
    NoLimit,
    PauseGate,
    PyPIStatsLimiter,
    header_float,
    pypistats_limiter,
)
from osspulse.settings import Settings

log = logging.getLogger(__name__)

PER_PAGE = 100  # GitHub's maximum page size


class _Retry(Exception):
    """One answer (or none) that asks for another attempt, after ``wait_s``."""

    def __init__(self, wait_s: float, reason: str, status: int | None, rate_limited: bool) -> None:
        super().__init__(reason)
        self.wait_s, self.reason, self.status, self.rate_limited = wait_s, reason, status, rate_limited


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
        self, status: int, headers: Mapping[str, str], body: str, now: float, attempt: int, limited: int = 0
    ) -> float | None:
        """Seconds to wait before retrying a 403/429, or None when it is not a rate limit."""
        remaining = header_float(headers, "x-ratelimit-remaining")
        reset = header_float(headers, "x-ratelimit-reset")
        if remaining == 0 and reset is not None:  # primary limit: wait for the window to reset
            return max(1.0, reset - now + 1.0)
        retry_after = header_float(headers, "retry-after")
        if retry_after is not None:  # secondary limit (or pypistats): as told
            return max(0.0, retry_after)
        if status == 429 or "rate limit" in body.lower():  # secondary limit without a hint: back off
            return min(self.max_wait_s, self.secondary_wait_s * (2**limited))
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
    limited: int = 0,
) -> Decision:
    """What to do with an answer (``status None`` = no answer: timeout or broken connection)."""
    if status is None or status == 408 or status >= 500:
        return Decision("retry", policy.backoff(attempt, rng), f"HTTP {status}" if status else "no answer")
    if status in (403, 429):
        wait = policy.rate_limit_wait(status, headers, body, now, attempt, limited)
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
    server_date: datetime | None = None  # the answer's Date header

    @property
    def fetch_day(self) -> date:
        """The UTC day of the answer, as the API tells it (its clock), else ours."""
        return (self.server_date or self.fetched_at).astimezone(UTC).date()

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
        limiter: NoLimit | GitHubRateLimit | PyPIStatsLimiter | None = None,
        pause: PauseGate | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.source = source
        self.base_url = base_url.rstrip("/")
        self.policy = RetryPolicy.from_settings(settings)
        self.limiter = limiter or NoLimit()
        self.pause = pause or PauseGate(source, sleep=sleep)
        self._rejected: str | None = None  # after a 401 nothing more is sent
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
        self.pause.close()  # the pypistats limiter is the process's: it stays open

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
        counts = counts if counts is not None else RequestCounts()
        tries = {"attempt": 0, "limited": 0}
        request = _Request(
            url, display_url(url), {"If-None-Match": etag} if etag else {}, expect, tuple(allow), check
        )

        retrying = self._retrying(request, counts, tries)
        try:
            return retrying(self._attempt, request, counts, tries)
        except _Retry as exc:
            raise ApiError(
                f"{self.source}: GET {request.shown} failed after {tries['attempt'] + tries['limited']} "
                f"attempts ({exc.reason}); {_what_to_do(exc.status, self.source)}",
                url=request.shown,
                status=exc.status,
            ) from None

    def _retrying(self, request: _Request, counts: RequestCounts, tries: dict[str, int]) -> tenacity.Retrying:
        """tenacity's loop with our decisions: how long to wait, when to give up, what to log."""

        def give_up(state: tenacity.RetryCallState) -> bool:
            return (
                tries["attempt"] > self.policy.max_retries or tries["limited"] > self.policy.max_retries + 4
            )

        def wait(state: tenacity.RetryCallState) -> float:
            exc = state.outcome.exception()
            if not isinstance(exc, _Retry) or exc.rate_limited:  # the pause gate makes everyone wait
                return 0.0
            return exc.wait_s

        def before_sleep(state: tenacity.RetryCallState) -> None:
            exc = state.outcome.exception()
            assert isinstance(exc, _Retry)
            if exc.wait_s > self.policy.max_wait_s:
                raise RateLimitExhausted(
                    f"{self.source}: GET {request.shown} is rate limited for {exc.wait_s:.0f}s, longer than "
                    f"OSSPULSE_HTTP_MAX_WAIT_S={self.policy.max_wait_s:.0f}s allows; rerun later",
                    url=request.shown,
                    status=exc.status,
                )
            if exc.rate_limited and exc.wait_s > 0:
                self.pause.pause(exc.wait_s)  # every worker waits, not only this one
            counts.retries += 1
            counts.waited_s += exc.wait_s
            log.warning(
                "%s: GET %s: %s; retry %d in %.2fs",
                self.source,
                request.shown,
                exc.reason,
                state.attempt_number,
                exc.wait_s,
            )

        return tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(_Retry),
            stop=give_up,
            wait=wait,
            sleep=lambda seconds: self._sleep(seconds) if seconds > 0 else None,
            before_sleep=before_sleep,
            reraise=True,
        )

    def _attempt(self, request: _Request, counts: RequestCounts, tries: dict[str, int]) -> ApiResponse:
        """One request: an :class:`ApiResponse`, or :class:`_Retry` / :class:`ApiError`."""
        if self._rejected:
            raise CredentialsError(
                f"{self.source}: GET {request.shown} not sent: {self._rejected}; check GITHUB_TOKEN",
                url=request.shown,
                status=401,
            )
        self.pause.wait()
        self.limiter.acquire()
        response: httpx.Response | None = None
        content = b""
        problem = ""
        try:
            response = self._http.get(request.url, headers=request.headers)
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
        headers = response.headers if response is not None else {}
        body_text = content.decode("utf-8", "replace")[:500] if response is not None else ""
        decision = decide(
            self.policy,
            status,
            headers,
            body=body_text,
            now=time.time(),
            attempt=tries["attempt"],
            allow=request.allow,
            rng=self._rng,
            limited=tries["limited"],
        )
        return self._conclude(request, response, content, decision, tries, problem)

    def _conclude(
        self,
        request: _Request,
        response: httpx.Response | None,
        content: bytes,
        decision: Decision,
        tries: dict[str, int],
        problem: str,
    ) -> ApiResponse:
        """The answer's fate: returned, retried (:class:`_Retry`) or failed (:class:`ApiError`)."""
        status = response.status_code if response is not None else None
        headers = response.headers if response is not None else {}
        body_text = content.decode("utf-8", "replace")[:500] if response is not None else ""
        if decision.action == "return" and status == 304:
            return ApiResponse(
                304,
                str(response.url),
                None,
                response.headers.get("etag") or request.etag,
                server_date=_date(headers),
            )
        if decision.action == "return" and status is not None:
            body, problem = self._parse(content, request.expect if 200 <= status < 300 else None)
            if not problem and request.check is not None and 200 <= status < 300:
                problem = request.check(body)
            if not (problem and 200 <= status < 300):
                links = {rel: self.relative(u) for rel, u in parse_link(response.headers.get("link")).items()}
                return ApiResponse(
                    status,
                    str(response.url),
                    body,
                    response.headers.get("etag"),
                    links,
                    server_date=_date(headers),
                )
            decision = Decision("retry", self.policy.backoff(tries["attempt"], self._rng), problem)
        if decision.action == "fail" and status == 401:
            self._rejected = f"{self.source} rejected the credentials earlier in this run (HTTP 401)"
        if decision.action == "fail":
            raise (CredentialsError if status == 401 else ApiError)(
                f"{self.source}: GET {request.shown} answered HTTP {status}: {_message(body_text)}; "
                f"{_what_to_do(status, self.source)}",
                url=request.shown,
                status=status,
            )
        rate_limited = status in (403, 429) and "rate limited" in decision.reason
        tries["limited" if rate_limited else "attempt"] += 1
        raise _Retry(decision.wait_s, problem or decision.reason, status, rate_limited)

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


@dataclass(frozen=True)
class _Request:
    url: str
    shown: str
    headers: dict[str, str]
    expect: type
    allow: tuple[int, ...]
    check: Callable[[Any], str] | None

    @property
    def etag(self) -> str | None:
        return self.headers.get("If-None-Match")


def _date(headers: Mapping[str, str]) -> datetime | None:
    """The server's ``Date`` (the day the API says it is), if it sent one."""
    value = headers.get("date")
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).astimezone(UTC)
    except (TypeError, ValueError):
        return None


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
    if "pause" not in kwargs:
        kwargs["pause"] = PauseGate("GitHub", settings, sleep=kwargs.get("sleep", time.sleep))
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
    limiter = kwargs.pop("limiter", None) or pypistats_limiter(settings)
    if "pause" not in kwargs:
        kwargs["pause"] = PauseGate("pypistats", settings, sleep=kwargs.get("sleep", time.sleep))
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
