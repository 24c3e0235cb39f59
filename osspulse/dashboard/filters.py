"""The filters every page shares (sidebar): date range, granularity, include/exclude bots.

Their state lives in ``st.session_state`` (so it survives page changes) and is mirrored in the URL's
query parameters (``?start=2026-01-01&end=2026-11-23&grain=week&bots=1``), so a view can be shared
as a link. The parsing is pure (:func:`initial_filters`) and unit-tested.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from osspulse.dashboard.queries import GRAINS, period_start

GRAIN_LABELS = {"day": "Day", "week": "Week", "month": "Month"}
DEFAULT_GRAIN = "month"
DEFAULT_DAYS = 365


@dataclass(frozen=True)
class DataBounds:
    """The first dates and the as-of dates (latest date in the gold data) of each source."""

    github_first: date | None
    github_as_of: date | None
    pypi_first: date | None
    pypi_as_of: date | None

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> DataBounds:
        row = frame.iloc[0].to_dict() if not frame.empty else {}

        def day(key: str) -> date | None:
            value = row.get(key)
            return None if value is None or pd.isna(value) else pd.Timestamp(value).date()

        return cls(day("github_first"), day("github_as_of"), day("pypi_first"), day("pypi_as_of"))

    @property
    def first(self) -> date | None:
        days = [d for d in (self.github_first, self.pypi_first) if d]
        return min(days) if days else None

    @property
    def last(self) -> date | None:
        days = [d for d in (self.github_as_of, self.pypi_as_of) if d]
        return max(days) if days else None

    @property
    def empty(self) -> bool:
        return self.last is None


@dataclass(frozen=True)
class Filters:
    start: date
    end: date
    grain: str
    include_bots: bool

    def x_range(self, grain: str | None = None) -> tuple[date, date]:
        """The time axis of a chart at ``grain`` (default: the filter's): from the first period's start."""
        return period_start(grain or self.grain, self.start), self.end

    def as_query_params(self) -> dict[str, str]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "grain": self.grain,
            "bots": "1" if self.include_bots else "0",
        }


def _parse_day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def initial_filters(params: Mapping[str, str], bounds: DataBounds) -> Filters:
    """Filters from URL query parameters, each falling back to its default when missing or invalid;
    dates are clamped to the data's range."""
    last = bounds.last or date.today()  # noqa: DTZ011 - only when gold is empty (nothing is shown then)
    first = bounds.first or last
    end = _parse_day(params.get("end")) or last
    end = min(max(end, first), last)
    start = _parse_day(params.get("start")) or max(first, end - timedelta(days=DEFAULT_DAYS - 1))
    start = min(max(start, first), end)
    grain = params.get("grain", DEFAULT_GRAIN)
    grain = grain if grain in GRAINS else DEFAULT_GRAIN
    include_bots = params.get("bots", "0") in ("1", "true", "yes")
    return Filters(start, end, grain, include_bots)


def date_range_value(value: object, fallback: Filters) -> tuple[date, date]:
    """The (start, end) of a date_input range, which is a 1-tuple while the user is still picking."""
    if isinstance(value, tuple | list) and len(value) == 2 and all(value):
        return value[0], value[1]
    if isinstance(value, tuple | list) and len(value) == 1 and value[0]:
        return value[0], fallback.end
    return fallback.start, fallback.end
