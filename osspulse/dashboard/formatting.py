"""How figures read on the page (pure functions; the browser test formats its expectations alike)."""

from __future__ import annotations

import math
from datetime import date, datetime

#: what a figure without data reads (a missing day or period is null in gold, never zero)
NO_DATA = "no data"


def _missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(math.isnan(value))  # type: ignore[arg-type]
    except TypeError:
        return False


def integer(value: object) -> str:
    """``1234567`` -> ``1,234,567``; missing -> "no data"."""
    if _missing(value):
        return NO_DATA
    return f"{round(float(value)):,}"  # type: ignore[arg-type]


def percent_change(value: object) -> str | None:
    """A ratio as a signed percentage (``0.0412`` -> ``+4.1%``); None when missing (no delta)."""
    if _missing(value):
        return None
    return f"{float(value) * 100:+.1f}%"  # type: ignore[arg-type]


def hours(value: object) -> str:
    """A duration in hours, in days beyond two days (``123.9`` -> ``5.2 days``, ``7.25`` -> ``7.3 h``)."""
    if _missing(value):
        return NO_DATA
    h = float(value)  # type: ignore[arg-type]
    return f"{h / 24:.1f} days" if h >= 48 else f"{h:.1f} h"


def month_name(day: date) -> str:
    return day.strftime("%b %Y")


def ago(moment: datetime | None, now: datetime) -> str:
    """``now - moment`` in words (``3 h ago``, ``2.5 days ago``)."""
    if moment is None or _missing(moment):
        return "never"
    seconds = (now - moment).total_seconds()
    if seconds < 0:
        return "just now"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h ago"
    return f"{seconds / 86400:.1f} days ago"


def partial_period_note(grain: str, as_of: date | None) -> str:
    """A sentence warning that the period holding the as-of date is incomplete ("" when it is not)."""
    from datetime import timedelta

    from osspulse.dashboard.queries import period_start

    if (
        as_of is None
        or grain == "day"
        or period_start(grain, as_of + timedelta(days=1)) != period_start(grain, as_of)
    ):
        return ""
    return f" The last {grain} is partial: the data ends on {as_of}."
