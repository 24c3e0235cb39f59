"""The simulator's settings: the world it serves, the real APIs' limits and quirks, injected faults.

Each real-API behaviour is a setting; the defaults are what the real services do where that does not
slow a test down (renames, case-insensitive names, 410 for disabled issues, 301 for non-canonical PyPI
names, pypistats' name handling, volatile asset download counts). The limits that would slow every test
are off by default; :meth:`SimSettings.realistic` turns them on with the real values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time
from typing import Any


@dataclass
class SimSettings:
    """Change them at runtime with ``POST /_sim/settings`` (a JSON object of fields)."""

    # GitHub's primary rate limit
    rate_limit: int = 5000  # requests per window (x-ratelimit-limit)
    rate_window_s: float = 3600.0  # the window; x-ratelimit-reset is its end
    # GitHub's secondary rate limit: this share of requests answers 403 "You have exceeded a secondary
    # rate limit" without Retry-After (what GitHub mostly sends); secondary_burst more follow each one
    secondary_rate: float = 0.0
    secondary_burst: int = 0
    # accepted tokens, comma-separated; a request with another token gets 401 "Bad credentials"
    # (empty: every token is accepted)
    tokens: str = ""
    # pypistats' limits per client IP (real: 5 a second, 30 a minute); 0 = unlimited. Over them: 429
    # without Retry-After. The minute window is pypistats_window_s long (shorter in tests).
    pypistats_per_s: int = 0
    pypistats_per_window: int = 0
    pypistats_window_s: float = 60.0
    # PyPI's JSON still carries the deprecated `releases` key; False serves the body without it
    pypi_releases_key: bool = True
    # release assets' download_count grows by this many a day (as of `as_of`, else today)
    asset_downloads_per_day: int = 7
    # the world as of this moment (YYYY-MM-DD = the end of that UTC day, or an ISO timestamp): the
    # default branch head at that time (heads.jsonl) and only records created by then
    as_of: str | None = None
    # injected faults
    error_rate: float = 0.0  # share of data requests answered with error_status
    error_status: int = 502
    rate429_rate: float = 0.0  # share answered 429 with Retry-After: retry_after_s
    retry_after_s: float = 1.0
    slow_rate: float = 0.0  # share answered after slow_s seconds
    slow_s: float = 1.0
    malformed_rate: float = 0.0  # share of 200s whose body is cut to invalid JSON
    truncate_rate: float = 0.0  # share of 200s that send half the declared Content-Length, then close
    page_overlap: int = 0  # rows of the previous page repeated at the start of each later page
    fault_paths: str = ""  # a regex on path?query: faults apply only there (empty: every data endpoint)
    seed: int = 0  # of the fault dice
    end_date: str | None = None  # pypistats "today" (YYYY-MM-DD); None: as_of, else the latest data
    pypistats_days: int = 180

    @classmethod
    def realistic(cls, **overrides: Any) -> SimSettings:
        """The real services' limits: pypistats 5/s and 30/min, rare secondary limits on GitHub."""
        out = cls(pypistats_per_s=5, pypistats_per_window=30, secondary_rate=0.002, secondary_burst=2)
        out.update(overrides)
        return out

    def update(self, values: dict[str, Any]) -> None:
        known = {f.name: f for f in fields(self)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(f"unknown simulator settings {unknown}; known: {sorted(known)}")
        for name, value in values.items():
            current = getattr(self, name)
            if isinstance(current, bool) and isinstance(value, str):
                value = value.lower() in ("1", "true", "yes")
            elif value is not None and current is not None and not isinstance(value, type(current)):
                value = type(current)(value)
            setattr(self, name, value)
        if self.end_date:
            date.fromisoformat(self.end_date)
        if self.as_of:
            self.as_of_epoch()
        if self.fault_paths:
            re.compile(self.fault_paths)

    def as_of_epoch(self) -> float | None:
        """``as_of`` in seconds since the epoch (a date means the end of that UTC day)."""
        if not self.as_of:
            return None
        text = self.as_of.strip()
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day, time(23, 59, 59), UTC).timestamp()
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
