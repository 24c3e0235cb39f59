"""Packages: one PyPI package's downloads (moving averages, % change), Python versions, OS, releases."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from osspulse.dashboard import charts, data, formatting, queries
from osspulse.dashboard.context import choose_one, current

CHANGE_LABELS = {
    "downloads_wow_pct_change": "change vs a week before",
    "downloads_mom_pct_change": "change vs a month before",
}


def render() -> None:
    ctx = current()
    f = ctx.filters
    st.title("Packages")
    package = choose_one("Package", ctx.packages, key="package", param="package")
    if package is None:
        st.info("No package has download data in gold yet.")
        return
    t = data.table
    name = charts.slug(package)
    data.prefetch(
        queries.package_headlines(t),
        queries.package_downloads(t, package, f.grain, f.start, f.end),
        queries.download_shares(t, "python", package, f.start, f.end),
        queries.download_shares(t, "os", package, f.start, f.end),
        queries.release_cadence(t, "package", package, f.start, f.end),
    )
    headlines = data.fetch(queries.package_headlines(t), "download figures")
    match = headlines[headlines.package == package] if headlines is not None else None
    row = match.iloc[0].to_dict() if match is not None and not match.empty else None
    as_of = row["as_of_date"] if row else ctx.bounds.pypi_as_of
    st.caption(
        f"{f.start} to {f.end}, by {f.grain}. Downloads are pypistats' `overall` without mirrors; the "
        f"30-day window ends at the package's as-of date **{as_of}** (its last reported day), not today. "
        "A day pypistats did not report has no data (a gap), never zero."
        + formatting.partial_period_note(f.grain, as_of)
    )
    if row:
        change = row["downloads_30d_pct_change"]
        a, b, c = st.columns(3)
        a.metric(
            "Downloads, 30 days",
            formatting.integer(row["downloads_30d"]),
            formatting.percent_change(change),
            delta_description="vs the 30 days before"
            if change is not None and not pd.isna(change)
            else "no change: a day of the 60 was not reported",
        )
        b.metric("Downloads, previous 30 days", formatting.integer(row["downloads_previous_30d"]))
        c.metric(
            "Daily average, 30 days",
            formatting.integer(row["avg_daily_downloads_30d"]),
            help=f"Over the {row['days_reported_30d']} reported days of the 30",
        )

    downloads = data.fetch(queries.package_downloads(t, package, f.grain, f.start, f.end), "downloads")
    if downloads is not None:
        st.subheader(f"Downloads per {f.grain}")
        series = {"downloads": "downloads"}
        if f.grain == "day":
            series |= {"downloads_ma_7d": "7-day average", "downloads_ma_30d": "30-day average"}
            changes = {c: CHANGE_LABELS[c] for c in CHANGE_LABELS}
            note = " Averages are over the reported days of the window."
        else:
            unit = "week" if f.grain == "week" else "month"
            kind = "wow" if f.grain == "week" else "mom"
            changes = {
                f"downloads_{kind}_pct_change": f"total vs the {unit} before (complete {unit}s)",
                f"avg_daily_downloads_{kind}_pct_change": f"per-day average vs the {unit} before",
            }
            note = (
                f" A total is compared only between complete {unit}s (every day reported, the {unit} over);"
                " the per-day average whenever both have data. Moving averages are drawn by day."
            )
        st.caption("Change: the period's downloads against the same span before." + note)
        fig = charts.panels(
            downloads,
            "period",
            [
                charts.Panel("Downloads", series, dashed=("downloads_ma_7d", "downloads_ma_30d")),
                charts.Panel("Change", changes, percent=True),
            ],
            cols=2,
            x_range=f.x_range(),
            row_height=320,
        )
        charts.show(fig, downloads, key="downloads", file_name=f"{name}-downloads-{f.grain}")

    left, right = st.columns(2)
    with left:
        st.subheader("Python versions (monthly)")
        python = data.fetch(queries.download_shares(t, "python", package, f.start, f.end), "Python versions")
        if python is not None:
            st.caption("Share of the month's downloads among those that report a Python version.")
            fig = charts.shares(
                python, x="period", category="category", value="share_of_known", x_range=f.x_range("month")
            )
            charts.show(fig, python, key="python", file_name=f"{name}-python-versions-monthly")
    with right:
        st.subheader("Operating systems (monthly)")
        systems = data.fetch(queries.download_shares(t, "os", package, f.start, f.end), "operating systems")
        if systems is not None:
            st.caption("Share of the month's downloads among those that report an OS.")
            fig = charts.shares(
                systems,
                x="period",
                category="category",
                value="share_of_known",
                area=False,
                x_range=f.x_range("month"),
            )
            charts.show(fig, systems, key="os", file_name=f"{name}-os-monthly")

    st.subheader("Releases (PyPI, monthly)")
    releases = data.fetch(queries.release_cadence(t, "package", package, f.start, f.end), "releases")
    if releases is not None:
        if releases.empty:
            st.info("No release in the date range.")
        else:
            last = releases.iloc[-1]
            st.caption(
                f"{int(releases.releases.sum())} versions released in the range (yanked ones included); "
                f"{formatting.integer(last.days_since_last_release)} days since the last one "
                f"at the end of {last.period:%Y-%m}."
            )
            fig = charts.bars(
                releases,
                "period",
                {"stable_releases": "stable", "releases": "all versions"},
                x_range=f.x_range("month"),
            )
            charts.show(fig, releases, key="releases", file_name=f"{name}-releases-monthly")
