"""Rate limits shared beyond one request: GitHub's quota, pauses after a secondary limit, pypistats.

* :class:`GitHubRateLimit`: GitHub's primary limit as last reported (``x-ratelimit-remaining/reset``),
  shared by the threads of one client; requests sleep until the reset at the reserve.
* :class:`PauseGate`: after a secondary rate limit (or a 429) every worker pauses, not only the one
  that was told: threads of this process through the gate, other processes (Airflow runs one task
  per repository) through a row in ``staging._api_pause``.
* :func:`pypistats_limiter`: pypistats allows 5 requests a second and 30 a minute per IP, across
  every process on the machine: one budget in a Postgres bucket (pyrate-limiter's ``PostgresBucket``,
  which counts with the database's clock under a table lock).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import psycopg

from osspulse.ingest.errors import RateLimitExhausted
from osspulse.settings import Settings

log = logging.getLogger(__name__)


def header_float(headers: Mapping[str, str], name: str) -> float | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


class NoLimit:
    def acquire(self) -> None:
        return None

    def release(self, headers: Mapping[str, str] | None) -> None:
        return None


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
            remaining = header_float(headers, "x-ratelimit-remaining")
            reset = header_float(headers, "x-ratelimit-reset")
            if remaining is None or reset is None:
                return
            if self.reset is None or reset > self.reset:  # first answer of a (new) window
                self.reset, self.remaining = reset, int(remaining)
            elif reset == self.reset:
                self.remaining = min(
                    self.remaining if self.remaining is not None else int(remaining), int(remaining)
                )


PAUSE_DDL = """
create table if not exists staging._api_pause (
    source text primary key,
    paused_until timestamptz not null
)"""


class PauseGate:
    """Every worker waits out a pause one of them was told to take (a secondary limit, a 429).

    In-process threads share the gate object; with ``settings``, the pause is also written to
    ``staging._api_pause`` and read (at most once a second) by the workers of other processes.
    """

    def __init__(
        self,
        source: str,
        settings: Settings | None = None,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.source = source
        self._settings = settings
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._until = 0.0
        self._checked = 0.0
        self._conn: psycopg.Connection | None = None
        self.waited_s = 0.0

    def _db(self) -> psycopg.Connection | None:
        if self._settings is None:
            return None
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(
                self._settings.pg_dsn(), autocommit=True, application_name="osspulse-pause", connect_timeout=3
            )
            from osspulse.ingest.staging import locked_ddl

            locked_ddl(self._conn, PAUSE_DDL)
        return self._conn

    def pause(self, seconds: float) -> None:
        """Everyone waits ``seconds`` from now (a longer pause already set stays)."""
        until = self._clock() + seconds
        with self._lock:
            self._until = max(self._until, until)
            try:
                db = self._db()
                if db is not None:
                    db.execute(
                        "insert into staging._api_pause values (%s, to_timestamp(%s)) on conflict (source) "
                        "do update set paused_until = "
                        "greatest(staging._api_pause.paused_until, excluded.paused_until)",
                        (self.source, until),
                    )
            except psycopg.Error as exc:  # the pause still holds in this process
                log.warning("%s: could not share the pause through Postgres: %s", self.source, exc)

    def wait(self) -> None:
        """Sleep while a pause is on (call before every request)."""
        with self._lock:
            now = self._clock()
            if self._settings is not None and now - self._checked >= 1.0:
                self._checked = now
                try:
                    db = self._db()
                    row = db.execute(
                        "select extract(epoch from paused_until) from staging._api_pause where source = %s",
                        (self.source,),
                    ).fetchone()
                    if row:
                        self._until = max(self._until, float(row[0]))
                except psycopg.Error as exc:
                    log.debug("%s: pause check failed: %s", self.source, exc)
            remaining = self._until - now
        if remaining > 0:
            log.warning("%s: every worker pauses %.1fs (a rate limit was hit)", self.source, remaining)
            self.waited_s += remaining
            self._sleep(remaining)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()


class _ConnectPerUse:
    """The part of psycopg_pool's ConnectionPool that PostgresBucket uses, one connection per use.

    pypistats is asked a few times a minute: a connection each time costs milliseconds, and unlike a
    pool it leaves no background threads (nor reconnect attempts to a database that was dropped).
    """

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.closed = False

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        with psycopg.connect(
            self.dsn, application_name="osspulse-pypistats-budget", connect_timeout=10
        ) as conn:
            yield conn  # committed when the block ends (the bucket's table lock with it)

    def close(self) -> None:
        self.closed = True


#: pypistats counts requests when they arrive, the bucket when they are let go: a request delayed on the
#: way (a busy machine) must not make the next window look fuller to the server than to us
WINDOW_MARGIN = 0.05
WINDOW_MARGIN_MS = 250


def _with_margin(interval_ms: int) -> int:
    return int(interval_ms * (1 + WINDOW_MARGIN)) + WINDOW_MARGIN_MS


def pypistats_rates(settings: Settings) -> list[Any]:
    """pyrate-limiter rates: per second and per window, leaving out one the other makes redundant."""
    from pyrate_limiter import Duration, Rate

    per_s = Rate(settings.pypistats_requests_per_second, _with_margin(Duration.SECOND))
    per_window = Rate(
        settings.pypistats_requests_per_minute, _with_margin(int(settings.pypistats_window_s * 1000))
    )
    if per_window.interval <= per_s.interval:
        return [per_window]
    if per_window.limit / per_window.interval >= per_s.limit / per_s.interval:
        return [per_s]  # the window never binds
    if per_window.limit <= per_s.limit:
        return [per_window]  # the second never binds
    return [per_s, per_window]


class PyPIStatsLimiter:
    """pypistats' budget per IP, shared by every process through a pyrate-limiter Postgres bucket."""

    def __init__(self, settings: Settings, *, bucket: Any = None) -> None:
        from pyrate_limiter import Limiter, SingleBucketFactory

        self._pool = None
        if bucket is None:
            from pyrate_limiter import PostgresBucket

            self._pool = _ConnectPerUse(settings.pg_dsn())
            bucket = PostgresBucket(self._pool, "osspulse_pypistats", pypistats_rates(settings))
        self.bucket = bucket
        # no leak thread: old entries are removed here, every LEAK_EVERY acquisitions
        self._limiter = Limiter(SingleBucketFactory(bucket, schedule_leak=False))
        self._acquired = 0
        self.waited_s = 0.0

    LEAK_EVERY = 50

    def acquire(self) -> None:
        started = time.monotonic()
        while not self._limiter.try_acquire("pypistats", blocking=True, timeout=120):
            log.warning("pypistats budget: still waiting for a slot")
        self.waited_s += time.monotonic() - started
        self._acquired += 1
        if self._acquired % self.LEAK_EVERY == 0:
            self.bucket.leak(self.bucket.now())

    def release(self, headers: Mapping[str, str] | None) -> None:
        return None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()


_SHARED: dict[tuple[Any, ...], PyPIStatsLimiter] = {}
_SHARED_LOCK = threading.Lock()


def pypistats_limiter(settings: Settings) -> PyPIStatsLimiter:
    """The process's limiter for this database and budget (the budget itself lives in Postgres)."""
    key = (
        settings.pg_dsn(),
        settings.pypistats_requests_per_second,
        settings.pypistats_requests_per_minute,
        settings.pypistats_window_s,
    )
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED[key] = PyPIStatsLimiter(settings)
        return _SHARED[key]
