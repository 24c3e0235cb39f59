"""Overview: every tracked project's headline figures, and how fresh the data is."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from osspulse.dashboard import charts, data, formatting, queries
from osspulse.dashboard.context import PageContext, Project, current
from osspulse.dashboard.gold import RECORDED_TABLES, QueryError


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


def downloads_change(row: dict[str, object]) -> float | None:
    """30-day downloads against the 30 days before (None without a full, non-zero previous window)."""
    previous = row.get("downloads_previous_30d")
    if previous is None or pd.isna(previous) or previous == 0 or row.get("previous_days", 0) < 30:
        return None
    return (float(row["downloads_30d"]) - float(previous)) / float(previous)


def render() -> None:
    ctx = current()
    bounds, filters = ctx.bounds, ctx.filters
    st.title("Overview")
    if bounds.empty:
        st.warning("The gold layer holds no data yet: run the pipeline (`make demo`) and refresh.")
        return
    github_as_of, pypi_as_of = bounds.github_as_of, bounds.pypi_as_of
    month = queries.last_complete_month(github_as_of) if github_as_of else None
    st.caption(
        f"Windows end at the data's as-of date, not today: the last 90 days of GitHub activity end on "
        f"**{github_as_of}**, the last 30 days of downloads on **{pypi_as_of}**. Median issue resolution is "
        f"that of the last complete month ({formatting.month_name(month) if month else '—'}). "
        f"Bots are {'included' if filters.include_bots else 'excluded'}."
    )
    t = data.table
    data.prefetch(
        queries.repo_headlines(t, github_as_of, filters.include_bots) if github_as_of else None,
        queries.package_headlines(t, pypi_as_of) if pypi_as_of else None,
        queries.freshness_by_source(t),
        data.reader().tables_query(RECORDED_TABLES),
    )
    repo_rows = (
        data.fetch(queries.repo_headlines(t, github_as_of, filters.include_bots), "repository figures")
        if github_as_of
        else None
    )
    package_rows = (
        data.fetch(queries.package_headlines(t, pypi_as_of), "download figures") if pypi_as_of else None
    )

    summary = [
        _project_card(
            project,
            _row(repo_rows, "repo", project.repo),
            _row(package_rows, "package", project.package),
            month,
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
    charts.download(table, key="overview-projects", file_name=f"projects-{github_as_of}")
    _freshness()


def _project_card(project: Project, repo: dict[str, object], package: dict[str, object], month) -> dict:
    change = downloads_change(package)
    with st.container(border=True, key=f"project-{charts.slug(project.name)}"):
        st.subheader(project.name)
        where = [x for x in (project.repo, project.package and f"PyPI: {project.package}") if x]
        groups = f" · groups: {', '.join(project.groups)}" if project.groups else ""
        st.caption(" · ".join(where) + groups)
        columns = st.columns(5)  # the same column for the same figure in every card
        if project.repo:
            columns[0].metric("Stars", formatting.integer(repo.get("stars")))
            columns[1].metric("Commits, 90 days", formatting.integer(repo.get("commits_90d")))
            columns[2].metric("Active authors, 90 days", formatting.integer(repo.get("active_authors_90d")))
            columns[3].metric(
                "Median issue resolution",
                formatting.hours(repo.get("issue_resolution_hours_median")),
                help=f"Issues closed in {formatting.month_name(month)}" if month else None,
            )
        if project.package:
            columns[4].metric(
                "Downloads, 30 days",
                formatting.integer(package.get("downloads_30d")),
                formatting.percent_change(change),
                delta_description="vs the 30 days before",
            )
    return {
        "project": project.name,
        "repo": project.repo,
        "package": project.package,
        "stars": repo.get("stars"),
        "commits_90d": repo.get("commits_90d"),
        "active_authors_90d": repo.get("active_authors_90d"),
        "issue_resolution_hours_median": repo.get("issue_resolution_hours_median"),
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
            fetched = (
                pd.Timestamp(row.last_fetched_at).to_pydatetime() if pd.notna(row.last_fetched_at) else None
            )
            column.metric(
                f"{row.source_system} loaded through",
                str(row.loaded_through),
                help=f"last fetched {fetched:%Y-%m-%d %H:%M} UTC" if fetched else None,
            )
            column.caption(f"last fetch {formatting.ago(fetched, now)}")
        with columns[-1]:
            _last_transform(now)
    elif sources is not None:
        st.info("No source has been loaded yet.")


def _last_transform(now: datetime) -> None:
    """The end of the last successful transform_dbt run, when Airflow has recorded runs in gold."""
    recorded = data.recorded_tables()
    if recorded is None:
        return
    st.markdown("**Last successful transform**")
    if "pipeline_runs" not in recorded:
        st.caption("No DAG runs recorded yet (lake.gold.pipeline_runs).")
        return
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
