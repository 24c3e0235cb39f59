"""Compare: any repositories and packages (or a tracked.yml group), every measure on shared axes."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from osspulse.dashboard import charts, comparison, data, formatting, queries
from osspulse.dashboard.context import PageContext, current

NO_GROUP = "—"
SCALES = ("Absolute", "Normalised")
#: the measures charted by default (each chart costs the browser time; the table has every measure)
DEFAULT_CHARTS = (
    "commits",
    "active_authors",
    "issue_resolution_hours_median",
    "contributor_absence_factor",
    "stars",
    "downloads",
)


def _split(text: str | None, options: tuple[str, ...]) -> list[str]:
    return [x for x in (text or "").split(",") if x in options]


def _init_state(ctx: PageContext) -> None:
    """First visit: the selection from the URL (?group=, ?repos=a,b, ?packages=c), else everything."""
    state, params = st.session_state, st.query_params
    if "cmp_repos" in state:
        return
    group = params.get("group")
    if group in ctx.groups:
        repos, packages = ctx.group_members(group)
        state["cmp_group"] = group
    elif "repos" in params or "packages" in params:
        repos, packages = _split(params.get("repos"), ctx.repos), _split(params.get("packages"), ctx.packages)
        state["cmp_group"] = NO_GROUP
    else:
        repos, packages = list(ctx.repos), list(ctx.packages)
        state["cmp_group"] = NO_GROUP
    state["cmp_repos"], state["cmp_packages"] = repos, packages
    state.setdefault("cmp_scale", SCALES[0])


def _mirror_in_url(group: str, repos: list[str], packages: list[str]) -> None:
    """The selection as ?group= (while it is a group's exact members) or ?repos=&packages=."""
    ctx = current()
    wanted: dict[str, str] = {}
    if group in ctx.groups and ctx.group_members(group) == (repos, packages):
        wanted["group"] = group
    else:
        wanted = {"repos": ",".join(repos), "packages": ",".join(packages)}
    for key in ("group", "repos", "packages"):
        if key not in wanted and key in st.query_params:
            del st.query_params[key]
        elif key in wanted and st.query_params.get(key) != wanted[key]:
            st.query_params[key] = wanted[key]


def _apply_group() -> None:
    ctx = current()
    group = st.session_state["cmp_group"]
    if group in ctx.groups:
        st.session_state["cmp_repos"], st.session_state["cmp_packages"] = ctx.group_members(group)


def render() -> None:
    ctx = current()
    f = ctx.filters
    st.title("Compare")
    _init_state(ctx)
    top = st.columns([1, 2, 2, 1])
    top[0].selectbox("Comparison group", (NO_GROUP, *ctx.groups), key="cmp_group", on_change=_apply_group)
    repos = top[1].multiselect("Repositories", ctx.repos, key="cmp_repos")
    packages = top[2].multiselect("Packages", ctx.packages, key="cmp_packages")
    scale = top[3].radio(
        "Scale", SCALES, key="cmp_scale", help="Normalised: each series as % of its own peak"
    )
    _mirror_in_url(st.session_state["cmp_group"], repos, packages)
    if not repos and not packages:
        st.info("Pick repositories and/or packages, or a comparison group.")
        return
    st.caption(
        f"{f.start} to {f.end}, by {f.grain} (measures marked monthly are per month), "
        f"bots {'included' if f.include_bots else 'excluded'}. Every chart shares the same time axis; "
        + ("each series is shown as % of its own peak." if scale == "Normalised" else "values are absolute.")
        + formatting.partial_period_note(f.grain, ctx.bounds.github_as_of)
    )

    frame = _load(repos, packages)
    if frame is None:
        return
    available = [m.key for m in comparison.MEASURES if m.key in set(frame.measure)]
    labels = {m.key: m.label + (" (monthly)" if m.monthly else "") for m in comparison.MEASURES}
    subjects = [*repos, *packages]

    st.subheader("Side by side")
    st.caption("Every measure over the date range: totals, the latest value, or the mean per period.")
    table = comparison.scorecard(frame, subjects, available)
    shown = pd.DataFrame(
        {
            s: [comparison.format_cell(k, v) for k, v in zip(available, table[s], strict=True)]
            for s in subjects
        },
        index=pd.Index(table["measure"], name="measure"),
    )
    st.table(shown)
    charts.download(table, key="compare-table", file_name=f"compare-summary-{f.start}-{f.end}")

    st.subheader("Over time")
    # charts start with the key measures (the table shows every one); a key measure that becomes
    # available (a repository added to a package-only selection, say) starts selected too
    state = st.session_state
    appeared = [m for m in available if m not in state.get("_cmp_available", ()) and m in DEFAULT_CHARTS]
    selected = {*state.get("cmp_measures", ()), *appeared}
    state["cmp_measures"] = [m for m in available if m in selected]
    state["_cmp_available"] = available
    chosen = st.multiselect(
        "Charts", available, key="cmp_measures", format_func=labels.get, help="Add any measure as a chart"
    )

    normalised = scale == "Normalised"
    plotted = comparison.normalise(frame) if normalised else frame.assign(shown=frame["value"])
    colors = {s: charts.PALETTE[i % len(charts.PALETTE)] for i, s in enumerate(subjects)}
    x_range = (queries.period_start(f.grain, f.start), f.end)
    charts.download(
        plotted.rename(columns={"shown": "plotted"}),
        key="compare-all",
        file_name=f"compare-{f.grain}-{f.start}-{f.end}",
        label="Download every series as CSV",
    )
    if not chosen:
        return
    fig = charts.small_multiples(
        plotted,
        measures=chosen,
        titles=labels,
        percent=[k for k in chosen if comparison.BY_KEY[k].percent],
        colors=colors,
        x_range=x_range,
        y_title="% of peak" if normalised else "",
    )
    out = plotted[plotted.measure.isin(chosen)].rename(columns={"shown": "plotted"})
    charts.show(fig, out, key="compare-charts", file_name=f"compare-charts-{f.grain}-{f.start}-{f.end}")


def _load(repos: list[str], packages: list[str]) -> pd.DataFrame | None:
    f = current().filters
    t = data.table
    repo_queries = {
        "activity": queries.compare_repo_activity(t, repos, f.grain, f.start, f.end, f.include_bots),
        "stars and forks": queries.compare_repo_stars(t, repos, f.grain, f.start, f.end),
        "responsiveness": queries.compare_repo_monthly(t, repos, f.start, f.end),
    }
    package_queries = {
        "downloads": queries.compare_package_downloads(t, packages, f.grain, f.start, f.end),
        "download changes": queries.compare_package_monthly(t, packages, f.start, f.end),
        # from the release history itself: months without download rows keep their releases
        "package releases": queries.compare_package_releases(t, packages, f.start, f.end),
    }
    repo_queries = repo_queries if repos else {}
    package_queries = package_queries if packages else {}
    data.prefetch(*repo_queries.values(), *package_queries.values())
    repo_frames = [data.fetch(q, what) for what, q in repo_queries.items()]
    package_frames = [data.fetch(q, what) for what, q in package_queries.items()]
    if any(x is None for x in (*repo_frames, *package_frames)):
        return None
    return pd.concat(
        [comparison.long_frame(repo_frames, "repo"), comparison.long_frame(package_frames, "package")],
        ignore_index=True,
    )
