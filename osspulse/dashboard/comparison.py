"""The Compare page's arithmetic (pure): measures, one long frame, normalisation, the side-by-side table."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    kind: str  # repo | package
    summary: str  # how the side-by-side table sums the range up: sum | last | mean
    monthly: bool = False  # only available per month, whatever the granularity
    percent: bool = False


MEASURES: tuple[Measure, ...] = (
    Measure("commits", "Commits", "repo", "sum"),
    Measure("active_authors", "Active authors", "repo", "mean"),
    Measure("new_contributors", "New contributors", "repo", "sum"),
    Measure("issues_opened", "Issues opened", "repo", "sum"),
    Measure("issues_closed", "Issues closed", "repo", "sum"),
    Measure("prs_opened", "PRs opened", "repo", "sum"),
    Measure("prs_merged", "PRs merged", "repo", "sum"),
    Measure("github_releases", "GitHub releases", "repo", "sum"),
    Measure("stars", "Stars", "repo", "last"),
    Measure("forks", "Forks", "repo", "last"),
    Measure("issue_first_response_hours_median", "Issue first response, median hours", "repo", "mean", True),
    Measure("issues_responded_within_7d_share", "Issues answered within 7 days", "repo", "mean", True, True),
    Measure("issue_resolution_hours_median", "Issue resolution, median hours", "repo", "mean", True),
    Measure("time_to_merge_hours_median", "Time to merge, median hours", "repo", "mean", True),
    Measure("contributor_absence_factor", "Contributor absence factor", "repo", "last", True),
    Measure("downloads", "Downloads", "package", "sum"),
    Measure("downloads_mom_pct_change", "Downloads, change vs previous month", "package", "mean", True, True),
    Measure(
        "avg_daily_downloads_mom_pct_change",
        "Downloads per day, change vs previous month (any months)",
        "package",
        "mean",
        True,
        True,
    ),
    Measure("package_releases", "PyPI releases", "package", "sum", True),
)
BY_KEY = {m.key: m for m in MEASURES}
SUMMARY_LABELS = {"sum": "total", "last": "latest", "mean": "mean per period"}


def long_frame(frames: Iterable[pd.DataFrame | None], kind: str) -> pd.DataFrame:
    """Wide query results (subject, period, <measure columns>) -> rows of subject, kind, period,
    measure, value; measures not in :data:`MEASURES` are dropped."""
    parts = []
    for frame in frames:
        if frame is None or frame.empty:
            continue
        columns = [c for c in frame.columns if c in BY_KEY]
        melted = frame.melt(id_vars=["subject", "period"], value_vars=columns, var_name="measure")
        parts.append(melted)
    if not parts:
        return pd.DataFrame(columns=["subject", "kind", "period", "measure", "value"])
    out = pd.concat(parts, ignore_index=True)
    out["kind"] = kind
    out["value"] = pd.to_numeric(out["value"], errors="coerce")
    out["period"] = pd.to_datetime(out["period"]).dt.date
    return out[["subject", "kind", "period", "measure", "value"]]


def normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """Each (subject, measure) series as % of its own peak (absolute value); percentage measures and
    all-zero series are left as they are. Adds the column ``shown``."""
    out = frame.copy()
    peak = out["value"].abs().groupby([out["subject"], out["measure"]]).transform("max")
    percent = out["measure"].map(lambda k: BY_KEY[k].percent if k in BY_KEY else False).astype(bool)
    scale = (~percent) & (peak > 0)
    out["shown"] = out["value"]
    out.loc[scale, "shown"] = out.loc[scale, "value"] / peak[scale] * 100
    return out


def scorecard(frame: pd.DataFrame, subjects: Sequence[str], measures: Sequence[str]) -> pd.DataFrame:
    """One row per measure, one column per subject: the range summed up as the measure says (total,
    latest or mean per period); blank where the measure does not apply to the subject."""
    known = frame.dropna(subset=["value"]).sort_values("period")
    grouped = known.groupby(["measure", "subject"])["value"]
    summaries = {"sum": grouped.sum(), "last": grouped.last(), "mean": grouped.mean()}
    rows = []
    for key in measures:
        m = BY_KEY[key]
        row: dict[str, object] = {"measure": f"{m.label} ({SUMMARY_LABELS[m.summary]})"}
        values = summaries[m.summary]
        for subject in subjects:
            value = values.get((key, subject))
            row[subject] = None if value is None else float(value)
        rows.append(row)
    return pd.DataFrame(rows, columns=["measure", *subjects])


def format_cell(key: str, value: object) -> str:
    if value is None or pd.isna(value):
        return "—"
    m = BY_KEY[key]
    if m.percent:
        return f"{float(value) * 100:+.1f}%"
    if m.summary == "mean" or "hours" in key:
        return f"{float(value):,.1f}"
    return f"{round(float(value)):,}"
