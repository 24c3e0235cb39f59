"""What every page of one script run shares: the filters, the data's dates and the tracked subjects."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

from osspulse.dashboard.filters import DataBounds, Filters

_KEY = "_osspulse_context"

#: page widgets whose values survive a visit to another page
PAGE_STATE = (
    "repo",
    "package",
    "contributor_search",
    "cmp_group",
    "cmp_repos",
    "cmp_packages",
    "cmp_scale",
    "cmp_measures",
)


@dataclass(frozen=True)
class Project:
    name: str
    repo: str | None
    package: str | None
    groups: tuple[str, ...]


@dataclass(frozen=True)
class PageContext:
    filters: Filters
    bounds: DataBounds
    repos: tuple[str, ...] = ()
    packages: tuple[str, ...] = ()
    projects: tuple[Project, ...] = ()
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def group_members(self, group: str) -> tuple[list[str], list[str]]:
        """The repositories and packages of a comparison group's projects."""
        members = [p for p in self.projects if p.name in self.groups.get(group, ())]
        return [p.repo for p in members if p.repo], [p.package for p in members if p.package]


def projects_from_frame(frame: pd.DataFrame | None) -> tuple[tuple[Project, ...], dict[str, tuple[str, ...]]]:
    if frame is None or frame.empty:
        return (), {}
    projects = []
    groups: dict[str, list[str]] = {}

    def text(value: object) -> str | None:
        return None if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)

    for row in frame.itertuples(index=False):
        names = tuple(row.group_names) if isinstance(row.group_names, list | tuple) else ()
        projects.append(Project(str(row.project), text(row.repo), text(row.package), names))
        for group in names:
            groups.setdefault(group, []).append(str(row.project))
    return tuple(projects), {g: tuple(m) for g, m in sorted(groups.items())}


def set_current(context: PageContext) -> None:
    st.session_state[_KEY] = context


def current() -> PageContext:
    return st.session_state[_KEY]


def keep(*keys: str) -> None:
    """Keep page widgets' values across page changes (Streamlit drops the state of widgets a run does
    not draw; re-assigning the value at the start of every run makes it ordinary session state)."""
    for key in keys:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def ready_marker(page: str) -> None:
    """An invisible element drawn last: browser tests and the benchmark wait for it (with this run's
    number, and the number of charts the run drew, which the browser may still be loading) to know
    the page is complete."""
    run = st.session_state.get("_osspulse_run", 0)
    charts = st.session_state.get("_osspulse_charts", 0)
    st.html(
        f'<span class="osspulse-ready" data-page="{page}" data-run="{run}" data-charts="{charts}"></span>'
    )


def choose_one(label: str, options: tuple[str, ...], *, key: str, param: str) -> str | None:
    """A selectbox whose choice survives page changes and is mirrored in the URL (``?param=``).

    A URL value that is not one of ``options`` is ignored with a warning: it never reaches a query.
    """
    if not options:
        return None
    wanted = st.query_params.get(param)
    if key not in st.session_state:
        if wanted is not None and wanted not in options:
            # the value is not echoed: it comes from a link and would be rendered as Markdown
            st.warning(f"The {label.lower()} named in the link is not tracked; showing {options[0]} instead.")
        st.session_state[key] = wanted if wanted in options else options[0]
    elif st.session_state[key] not in options:
        st.session_state[key] = options[0]
    keep(key)
    choice = st.selectbox(label, options, key=key)
    if st.query_params.get(param) != choice:
        st.query_params[param] = choice
    return choice
