"""Overview: every tracked project's headline figures, and how fresh the data is."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from osspulse.dashboard import charts, data, formatting, queries
from osspulse.dashboard.context import PageContext, Project, current
from osspulse.dashboard.gold import QueryError


def _projects(ctx: PageContext) -> list[Project]:
    """The tracked projects, plus a project of its own for any repo or package outside them."""
    projects = list(ctx.projects)
    seen_repos = {p.repo for p in projects}
    seen_packages = {p.package for p in projects}
    projects += [Project(r, r, None, ()) for r in ctx.repos if r not in seen_repos]
    projects += [Project(p, None, p, ()) for p in ctx.packages if p not in seen_packages]
    return projects


def _row(frame: pd.DataFrame | None, column: str, value: str | None) -> dict[str, object]:
    if frame is None or value is None or frame.empty:
        return {}
    match = frame[frame[column] == value]
    return match.iloc[0].to_dict() if not match.empty else {}


def render() -> None:
    ctx = current()
    bounds, filters = ctx.bounds, ctx.filters
    st.title("Overview")
    if bounds.empty:
        st.warning("The gold layer holds no data yet: run the pipeline (`make demo`) and refresh.")
        return
    st.caption(
        "Every figure ends at its subject's own as-of date (its last loaded day), not today: the last 90 "
        "days of GitHub activity and the last 30 days of downloads of each repository and package. "
        "Median issue resolution is that of the last complete month. "
        f"Bots are {'included' if filters.include_bots else 'excluded'}. "
        "A figure without data says so."
    )
    t = data.table
    data.prefetch(
        queries.repo_headlines(t, filters.include_bots),
        queries.package_headlines(t),
        queries.freshness_by_source(t),
        queries.pipeline_latest(t),
    )
    repo_rows = data.fetch(queries.repo_headlines(t, filters.include_bots), "repository figures")
    package_rows = data.fetch(queries.package_headlines(t), "download figures")

    summary = [
        _project_card(
            project, _row(repo_rows, "repo", project.repo), _row(package_rows, "package", project.package)
        )
        for project in _projects(ctx)
    ]

    st.subheader("All projects")
    table = pd.DataFrame(summary)
    st.dataframe(
        table,
        hide_index=True,
        column_config={
            "stars": st.column_config.NumberColumn("stars", format="localized"),
            "commits_90d": st.column_config.NumberColumn("commits, 90 days", format="localized"),
            "active_authors_90d": st.column_config.NumberColumn("active authors, 90 days"),
            "issue_resolution_hours_median": st.column_config.NumberColumn(
                "median issue resolution (h)", format="%.1f"
            ),
            "downloads_30d": st.column_config.NumberColumn("downloads, 30 days", format="localized"),
            "downloads_30d_change": st.column_config.NumberColumn(
                "change vs 30 days before", format="percent"
            ),
        },
    )
    charts.download(table, key="overview-projects", file_name=f"projects-{bounds.last}")
    _freshness()


def _project_card(project: Project, repo: dict[str, object], package: dict[str, object]) -> dict:
    change = package.get("downloads_30d_pct_change")
    month = repo.get("last_complete_month")
    with st.container(border=True, key=f"project-{charts.slug(project.name)}"):
        st.subheader(project.name)
        where = [x for x in (project.repo, project.package and f"PyPI: {project.package}") if x]
        groups = f" · groups: {', '.join(project.groups)}" if project.groups else ""
        sides = (("GitHub", repo), ("PyPI", package))
        as_of = [f"{name} as of {row['as_of_date']}" for name, row in sides if row]
        st.caption(" · ".join(where) + groups + (" · " + ", ".join(as_of) if as_of else ""))
        columns = st.columns(5)  # the same column for the same figure in every card
        if project.repo:
            columns[0].metric("Stars", formatting.integer(repo.get("stars")))
            columns[1].metric("Commits, 90 days", formatting.integer(repo.get("commits_90d")))
            columns[2].metric("Active authors, 90 days", formatting.integer(repo.get("active_authors_90d")))
            columns[3].metric(
                "Median issue resolution",
                formatting.hours(repo.get("issue_resolution_hours_median_last_complete_month")),
                help=f"Issues closed in {formatting.month_name(month)}" if month else None,
            )
        if project.package:
            columns[4].metric(
                "Downloads, 30 days",
                formatting.integer(package.get("downloads_30d")),
                formatting.percent_change(change),
                delta_description="vs the 30 days before"
                if change is not None and not pd.isna(change)
                else "no change: a day of the 60 was not reported",
            )
    return {
        "project": project.name,
        "repo": project.repo,
        "package": project.package,
        "stars": repo.get("stars"),
        "commits_90d": repo.get("commits_90d"),
        "active_authors_90d": repo.get("active_authors_90d"),
        "issue_resolution_hours_median": repo.get("issue_resolution_hours_median_last_complete_month"),
        "downloads_30d": package.get("downloads_30d"),
        "downloads_30d_change": change,
    }


def _freshness() -> None:
    st.subheader("Data freshness")
    t = data.table
    sources = data.fetch(queries.freshness_by_source(t), "data freshness")
    now = datetime.now(UTC)
    if sources is not None and not sources.empty:
        columns = st.columns(len(sources) + 1)
        for column, row in zip(columns, sources.itertuples(index=False), strict=False):
            has_load = pd.notna(row.last_loaded_at)
            loaded = pd.Timestamp(row.last_loaded_at).to_pydatetime() if has_load else None
            column.metric(
                f"{row.source_system} loaded through",
                str(row.loaded_through) if pd.notna(row.loaded_through) else formatting.NO_DATA,
                help=f"last loaded {loaded:%Y-%m-%d %H:%M} UTC" if loaded else None,
            )
            notes = [f"last load {formatting.ago(loaded, now)}"]
            if row.stale_entities:
                notes.append(f"{row.stale_entities} stale")
            if row.entities_without_data:
                notes.append(f"{row.entities_without_data} without data")
            column.caption(", ".join(notes))
        with columns[-1]:
            _last_transform(now)
    elif sources is not None:
        st.info("No source has been loaded yet.")


def _last_transform(now: datetime) -> None:
    """The end of the last successful transform_dbt run, when Airflow has recorded runs."""
    st.markdown("**Last successful transform**")
    try:
        runs = data.run(queries.pipeline_latest(data.table))
    except QueryError as exc:
        st.error(f"Could not load the pipeline runs. {exc}")
        return
    dbt = runs[runs.dag_id == "transform_dbt"]
    last = dbt.iloc[0].last_success_end if not dbt.empty else None
    if last is None or pd.isna(last):
        st.caption("No successful transform_dbt run recorded yet.")
        return
    last = pd.Timestamp(last).to_pydatetime()
    st.markdown(f"{last:%Y-%m-%d %H:%M} UTC")
    st.caption(formatting.ago(last, now))
