"""OSS Pulse dashboard: ``streamlit run osspulse/dashboard/app.py`` (the stack's streamlit service).

Every run draws the shared sidebar (filters, refresh, the data's as-of dates), then the chosen page.
Nothing queries Trino at import time: the first query happens inside the run, through the cache.
"""

from __future__ import annotations

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from osspulse.dashboard import data, queries
from osspulse.dashboard.context import (
    PAGE_STATE,
    PageContext,
    keep,
    projects_from_frame,
    ready_marker,
    set_current,
)
from osspulse.dashboard.filters import GRAIN_LABELS, DataBounds, Filters, date_range_value, initial_filters
from osspulse.dashboard.queries import GRAINS
from osspulse.dashboard.views import alerts, compare, data_health, overview, packages, repositories

PAGES = {
    "overview": (overview.render, "Overview", ":material/dashboard:"),
    "repositories": (repositories.render, "Repositories", ":material/code:"),
    "packages": (packages.render, "Packages", ":material/package_2:"),
    "compare": (compare.render, "Compare", ":material/compare_arrows:"),
    "alerts": (alerts.render, "Alerts", ":material/notifications:"),
    "data-health": (data_health.render, "Data health", ":material/monitor_heart:"),
}


def navigation(default: str = "overview") -> StreamlitPage:
    """The pages, each at /<url_path>; ``default`` is served at / and, through a hidden page of its
    own, at /<url_path> too (Streamlit gives the default page no path of its own: /overview would
    answer "Page not found")."""
    # a page's identity is its url_path: the default one (served at /) takes another, unseen one
    pages = [
        st.Page(
            render,
            title=title,
            icon=icon,
            url_path=f"{path}-home" if path == default else path,
            default=path == default,
        )
        for path, (render, title, icon) in PAGES.items()
    ]
    render, title, icon = PAGES[default]

    def default_page_at_its_path() -> None:
        render()

    pages.append(
        st.Page(default_page_at_its_path, title=title, icon=icon, url_path=default, visibility="hidden")
    )
    return st.navigation(pages)


def sidebar(bounds: DataBounds) -> Filters:
    """The shared filters; their state is session state, mirrored in the URL's query parameters."""
    initial = initial_filters(st.query_params.to_dict(), bounds)
    state = st.session_state
    state.setdefault("f_dates", (initial.start, initial.end))
    state.setdefault("f_grain", initial.grain)
    state.setdefault("f_bots", initial.include_bots)
    with st.sidebar:
        st.date_input(
            "Date range",
            key="f_dates",
            min_value=bounds.first,
            max_value=bounds.last,
            format="YYYY-MM-DD",
        )
        st.segmented_control(
            "Granularity", GRAINS, key="f_grain", format_func=GRAIN_LABELS.get, required=True
        )
        st.toggle("Include bots", key="f_bots", help="Bots are excluded by default (dbt's human_* measures)")
        if st.button("Refresh data", icon=":material/refresh:", help="Forget cached results and query again"):
            data.clear()
            st.rerun()
        github, pypi = bounds.github_as_of, bounds.pypi_as_of
        st.caption(
            f"Data as of: GitHub **{github or '—'}**, PyPI **{pypi or '—'}** (the latest dates in gold). "
            f"Results are cached for {data.settings().dashboard_cache_ttl_s} s."
        )
    start, end = date_range_value(state["f_dates"], initial)
    filters = Filters(start, end, state["f_grain"] or initial.grain, bool(state["f_bots"]))
    for key, value in filters.as_query_params().items():
        if st.query_params.get(key) != value:
            st.query_params[key] = value
    return filters


def main(default: str = "overview") -> None:
    """One script run. ``default`` picks the page served at / (tests render one page this way)."""
    st.set_page_config(page_title="OSS Pulse", page_icon=":material/monitoring:", layout="wide")
    st.session_state["_osspulse_run"] = st.session_state.get("_osspulse_run", 0) + 1
    st.session_state["_osspulse_charts"] = 0
    keep(*PAGE_STATE)
    page = navigation(default)

    t = data.table
    data.prefetch(queries.data_bounds(t), queries.subjects(t), queries.projects(t))
    frame = data.fetch(queries.data_bounds(t), "the data's date range")
    bounds = DataBounds.from_frame(frame) if frame is not None else DataBounds(None, None, None, None)
    filters = sidebar(bounds)
    subjects = (
        data.fetch(queries.subjects(t), "the tracked repositories and packages")
        if frame is not None
        else None
    )
    projects, groups = projects_from_frame(
        data.fetch(queries.projects(t), "the tracked projects") if frame is not None else None
    )
    repos = tuple(subjects.loc[subjects.kind == "repo", "name"]) if subjects is not None else ()
    pkgs = tuple(subjects.loc[subjects.kind == "package", "name"]) if subjects is not None else ()
    set_current(PageContext(filters, bounds, repos, pkgs, projects, groups))

    page.run()
    ready_marker(page.url_path or default)


if __name__ == "__main__":
    main()
