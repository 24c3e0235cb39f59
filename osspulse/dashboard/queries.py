"""The SQL behind every chart: pure functions from filter values to a parameterised :class:`Query`.

Values (repositories, packages, dates, search text) are always ``?`` parameters. The only things
formatted into the SQL text are table names (through ``t``, the allow-list of
:meth:`osspulse.dashboard.gold.GoldReader.table`) and column names and date_trunc units taken from the
fixed mappings below, chosen by validated keys.

Relative windows ("last 90 days", "30-day downloads") end at the data's as-of date, the latest date of
the gold grid (GitHub: ``max(day)`` of repo_activity_daily, which is the as-of date dbt uses for the
trailing windows of top_contributors; PyPI: ``max(download_date)`` of package_downloads_daily), never at
the wall clock: demo data that ends on a fixed day still shows figures.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta

from osspulse.dashboard.gold import Query

Tables = Callable[[str], str]

GRAINS = ("day", "week", "month")

#: gold table and period column of the repository activity at each grain
ACTIVITY_TABLES = {
    "day": ("repo_activity_daily", "day"),
    "week": ("repo_activity_weekly", "week"),
    "month": ("repo_activity_monthly", "month"),
}

#: measures with a bot-free twin column in the repo_activity_* models (the yml documents human_*)
BOT_AWARE = {
    "commits": "human_commits",
    "active_authors": "human_active_authors",
    "new_contributors": "human_new_contributors",
}


def check_grain(grain: str) -> str:
    if grain not in GRAINS:
        raise ValueError(f"granularity must be one of {GRAINS}, not {grain!r}")
    return grain


def period_start(grain: str, day: date) -> date:
    """The first day of the period (ISO week: Monday, as Trino's date_trunc) that contains ``day``."""
    check_grain(grain)
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


def last_complete_month(as_of: date) -> date:
    """The first day of the latest calendar month that ends on or before ``as_of``."""
    first_of_next_days_month = (as_of + timedelta(days=1)).replace(day=1)
    return (first_of_next_days_month - timedelta(days=1)).replace(day=1)


def activity_column(measure: str, include_bots: bool) -> str:
    """The repo_activity_* column of ``measure``: the human_* twin when bots are excluded."""
    if measure in BOT_AWARE:
        return measure if include_bots else BOT_AWARE[measure]
    if measure in ("issues_opened", "issues_closed", "prs_opened", "prs_merged", "releases"):
        return measure
    raise ValueError(f"unknown activity measure {measure!r}")


def _not_bot(include_bots: bool, column: str = "is_bot") -> str:
    return "" if include_bots else f" and {column} is distinct from true"


# --- shared: date bounds, subjects, projects -------------------------------------------------------


def data_bounds(t: Tables) -> Query:
    """First and as-of dates of the GitHub and PyPI data (the filters' limits)."""
    return Query(
        "data_bounds",
        f"""select
            (select min(day) from {t("repo_activity_daily")}) as github_first,
            (select max(day) from {t("repo_activity_daily")}) as github_as_of,
            (select min(download_date) from {t("package_downloads_daily")}) as pypi_first,
            (select max(download_date) from {t("package_downloads_daily")}) as pypi_as_of""",
    )


def subjects(t: Tables) -> Query:
    """The repositories and packages that have gold data."""
    return Query(
        "subjects",
        f"""select 'repo' as kind, repo as name from {t("repo_activity_monthly")} group by repo
            union all
            select 'package' as kind, package as name from {t("package_downloads_monthly")} group by package
            order by kind desc, name""",
    )


def projects(t: Tables) -> Query:
    """Tracked projects (tracked.yml as of the last dbt build): repo, package and groups."""
    return Query(
        "projects",
        f"""select project, arbitrary(repo) as repo, arbitrary(package) as package,
                arbitrary(group_names) as group_names
            from {t("project_comparison_monthly")}
            group by project
            order by project""",
    )


# --- overview --------------------------------------------------------------------------------------


def repo_headlines(t: Tables, as_of: date, include_bots: bool) -> Query:
    """Per repository: stars, commits and active authors over the 90 days ending ``as_of``, and the
    median issue resolution of the last complete month."""
    window_start = as_of - timedelta(days=89)
    month = last_complete_month(as_of)
    commits = activity_column("commits", include_bots)
    return Query(
        "repo_headlines",
        f"""with repos as (
                select repo from {t("repo_activity_monthly")} group by repo
            ),
            activity as (
                select repo, sum({commits}) as commits_90d
                from {t("repo_activity_daily")}
                where day between ? and ?
                group by repo
            ),
            authors as (
                -- an author is active in the window when their last commit falls in it
                select repo, count(*) as active_authors_90d
                from {t("top_contributors")}
                where cast(last_commit_at as date) between ? and ?{_not_bot(include_bots)}
                group by repo
            ),
            stars as (
                select repo, max_by(stars, snapshot_date) as stars, max(snapshot_date) as stars_on
                from {t("repo_snapshot_history")}
                where snapshot_date <= ?
                group by repo
            ),
            resolution as (
                select repo, issue_resolution_hours_median, issues_closed
                from {t("issue_responsiveness_monthly")}
                where month = ?
            )
            select
                repos.repo,
                stars.stars,
                stars.stars_on,
                coalesce(activity.commits_90d, 0) as commits_90d,
                coalesce(authors.active_authors_90d, 0) as active_authors_90d,
                resolution.issue_resolution_hours_median,
                resolution.issues_closed as issues_closed_in_month
            from repos
            left join activity on repos.repo = activity.repo
            left join authors on repos.repo = authors.repo
            left join stars on repos.repo = stars.repo
            left join resolution on repos.repo = resolution.repo
            order by repos.repo""",
        (window_start, as_of, window_start, as_of, as_of, month),
    )


def package_headlines(t: Tables, as_of: date) -> Query:
    """Per package: downloads of the 30 days ending ``as_of`` and of the 30 days before."""
    start = as_of - timedelta(days=29)
    previous_start = as_of - timedelta(days=59)
    return Query(
        "package_headlines",
        f"""select
                package,
                sum(downloads) filter (where download_date >= ?) as downloads_30d,
                sum(downloads) filter (where download_date < ?) as downloads_previous_30d,
                count(*) filter (where download_date < ?) as previous_days
            from {t("package_downloads_daily")}
            where download_date between ? and ?
            group by package
            order by package""",
        (start, start, start, previous_start, as_of),
    )


def freshness_by_source(t: Tables) -> Query:
    """Per source system: loaded through (the oldest entity's latest load date) and the last fetch."""
    return Query(
        "freshness_by_source",
        f"""select source_system, min(latest_load_date) as loaded_through,
                max(latest_fetched_at) as last_fetched_at, sum(raw_rows) as raw_rows
            from {t("data_health_sources")}
            group by source_system
            order by source_system""",
    )


# --- repositories ----------------------------------------------------------------------------------


def repo_activity(t: Tables, repo: str, grain: str, start: date, end: date, include_bots: bool) -> Query:
    table, period = ACTIVITY_TABLES[check_grain(grain)]
    measures = ("commits", "active_authors", "new_contributors", "issues_opened", "issues_closed")
    measures += ("prs_opened", "prs_merged", "releases")
    columns = ", ".join(f"{activity_column(m, include_bots)} as {m}" for m in measures)
    return Query(
        f"repo_activity_{grain}",
        f"""select {period} as period, {columns}
            from {t(table)}
            where repo = ? and {period} between ? and ?
            order by period""",
        (repo, period_start(grain, start), end),
    )


CONTRIBUTOR_NAME = """coalesce(
    login,
    case when contributor_id like 'name:%' then substr(contributor_id, 6) end,
    'author without a GitHub login #' || substr(to_hex(sha256(to_utf8(contributor_id))), 1, 8)
)"""


def top_contributors(t: Tables, repo: str, include_bots: bool, search: str = "", limit: int = 20) -> Query:
    """Commit authors ranked by commits in the trailing 365 days (then all time); e-mail-only
    identities are shown by a short hash, not the address. ``search`` matches the shown name."""
    search_clause = " and strpos(lower(contributor), lower(?)) > 0" if search else ""
    params: tuple[object, ...] = (repo, search) if search else (repo,)
    return Query(
        "top_contributors",
        f"""select contributor, is_bot, commits_trailing_365d, commits, rank_trailing_365d, rank_all_time,
                first_commit_at, last_commit_at, as_of_date
            from (
                select *, {CONTRIBUTOR_NAME} as contributor
                from {t("top_contributors")}
                where repo = ?{_not_bot(include_bots)}
            )
            where true{search_clause}
            order by commits_trailing_365d desc, commits desc, contributor
            limit {int(limit)}""",
        params,
    )


def issue_responsiveness(t: Tables, repo: str, start: date, end: date) -> Query:
    return Query(
        "issue_responsiveness",
        f"""select month as period, issues_opened, issues_closed, issues_without_response,
                issue_first_response_hours_median, issue_resolution_hours_median,
                prs_opened, prs_closed, prs_merged, prs_without_response,
                pr_first_response_hours_median, time_to_merge_hours_median, change_request_closure_ratio
            from {t("issue_responsiveness_monthly")}
            where repo = ? and month between ? and ?
            order by month""",
        (repo, period_start("month", start), end),
    )


def contributor_absence(t: Tables, repo: str, start: date, end: date) -> Query:
    return Query(
        "contributor_absence",
        f"""select month as period, contributor_absence_factor, top_author_share, authors_trailing_12m,
                commits_trailing_12m
            from {t("contributor_absence_factor")}
            where repo = ? and month between ? and ?
            order by month""",
        (repo, period_start("month", start), end),
    )


def repo_snapshots(t: Tables, repo: str, start: date, end: date) -> Query:
    return Query(
        "repo_snapshots",
        f"""select snapshot_date as period, stars, forks, subscribers, open_issues, stars_change, forks_change
            from {t("repo_snapshot_history")}
            where repo = ? and snapshot_date between ? and ?
            order by snapshot_date""",
        (repo, start, end),
    )


def release_cadence(t: Tables, subject_type: str, subject: str, start: date, end: date) -> Query:
    if subject_type not in ("repository", "package"):
        raise ValueError(f"subject_type must be repository or package, not {subject_type!r}")
    return Query(
        f"release_cadence_{subject_type}",
        f"""select month as period, releases, stable_releases, releases_trailing_12m,
                median_days_between_releases, days_since_last_release, last_release_at
            from {t("release_cadence")}
            where subject_type = ? and subject = ? and month between ? and ?
            order by month""",
        (subject_type, subject, period_start("month", start), end),
    )


# --- packages --------------------------------------------------------------------------------------


def package_downloads(t: Tables, package: str, grain: str, start: date, end: date) -> Query:
    """Downloads at the grain: daily rows carry the 7/30-day moving averages and the week-over-week
    and month-over-month changes; weeks are summed here with the change against the previous week;
    months come from package_downloads_monthly."""
    check_grain(grain)
    if grain == "day":
        return Query(
            "package_downloads_day",
            f"""select download_date as period, downloads, downloads_ma_7d, downloads_ma_30d,
                    downloads_wow_pct_change, downloads_mom_pct_change
                from {t("package_downloads_daily")}
                where package = ? and download_date between ? and ?
                order by download_date""",
            (package, start, end),
        )
    if grain == "week":
        first = period_start("week", start)
        return Query(
            "package_downloads_week",
            f"""with weekly as (
                    select date_trunc('week', download_date) as period, sum(downloads) as downloads,
                        count(*) as days_in_data
                    from {t("package_downloads_daily")}
                    where package = ? and download_date between ? and ?
                    group by date_trunc('week', download_date)
                ),
                compared as (
                    select *, lag(downloads) over (order by period) as previous_downloads
                    from weekly
                )
                select period, downloads, days_in_data,
                    case when previous_downloads > 0
                        then cast(downloads - previous_downloads as double) / previous_downloads
                    end as downloads_wow_pct_change
                from compared
                where period >= ?
                order by period""",
            (package, first - timedelta(days=7), end, first),
        )
    return Query(
        "package_downloads_month",
        f"""select month as period, downloads, days_in_data, downloads_mom_pct_change
            from {t("package_downloads_monthly")}
            where package = ? and month between ? and ?
            order by month""",
        (package, period_start("month", start), end),
    )


def download_shares(t: Tables, breakdown: str, package: str, start: date, end: date) -> Query:
    """Monthly share of downloads by Python minor version or OS, among downloads that say which."""
    tables = {"python": ("python_version_adoption_monthly", "python_minor"), "os": ("os_share_monthly", "os")}
    if breakdown not in tables:
        raise ValueError(f"breakdown must be one of {sorted(tables)}, not {breakdown!r}")
    table, column = tables[breakdown]
    return Query(
        f"download_shares_{breakdown}",
        f"""select month as period, {column} as category, downloads, share_of_known
            from {t(table)}
            where package = ? and month between ? and ? and {column} <> 'unknown'
            order by month, {column}""",
        (package, period_start("month", start), end),
    )


# --- compare ---------------------------------------------------------------------------------------


def compare_repo_activity(
    t: Tables, repos: Sequence[str], grain: str, start: date, end: date, include_bots: bool
) -> Query:
    table, period = ACTIVITY_TABLES[check_grain(grain)]
    measures = ("commits", "active_authors", "new_contributors", "issues_opened", "issues_closed")
    measures += ("prs_opened", "prs_merged")
    columns = ", ".join(f"{activity_column(m, include_bots)} as {m}" for m in measures)
    return Query(
        f"compare_repo_activity_{grain}",
        f"""select repo as subject, {period} as period, {columns}, releases as github_releases
            from {t(table)}
            where contains(?, repo) and {period} between ? and ?
            order by repo, period""",
        (list(repos), period_start(grain, start), end),
    )


def compare_repo_monthly(t: Tables, repos: Sequence[str], start: date, end: date) -> Query:
    return Query(
        "compare_repo_monthly",
        f"""select responsiveness.repo as subject, responsiveness.month as period,
                responsiveness.issue_first_response_hours_median,
                responsiveness.issue_resolution_hours_median,
                responsiveness.time_to_merge_hours_median,
                absence.contributor_absence_factor
            from {t("issue_responsiveness_monthly")} as responsiveness
            left join {t("contributor_absence_factor")} as absence
                on responsiveness.repo = absence.repo and responsiveness.month = absence.month
            where contains(?, responsiveness.repo) and responsiveness.month between ? and ?
            order by subject, period""",
        (list(repos), period_start("month", start), end),
    )


def compare_repo_stars(t: Tables, repos: Sequence[str], grain: str, start: date, end: date) -> Query:
    unit = check_grain(grain)
    return Query(
        f"compare_repo_stars_{grain}",
        f"""select repo as subject, date_trunc('{unit}', snapshot_date) as period,
                max_by(stars, snapshot_date) as stars, max_by(forks, snapshot_date) as forks
            from {t("repo_snapshot_history")}
            where contains(?, repo) and snapshot_date between ? and ?
            group by repo, date_trunc('{unit}', snapshot_date)
            order by subject, period""",
        (list(repos), start, end),
    )


def compare_package_downloads(
    t: Tables, packages: Sequence[str], grain: str, start: date, end: date
) -> Query:
    unit = check_grain(grain)
    return Query(
        f"compare_package_downloads_{grain}",
        f"""select package as subject, date_trunc('{unit}', download_date) as period,
                sum(downloads) as downloads
            from {t("package_downloads_daily")}
            where contains(?, package) and download_date between ? and ?
            group by package, date_trunc('{unit}', download_date)
            order by subject, period""",
        (list(packages), period_start(grain, start), end),
    )


def compare_package_monthly(t: Tables, packages: Sequence[str], start: date, end: date) -> Query:
    return Query(
        "compare_package_monthly",
        f"""select downloads.package as subject, downloads.month as period,
                downloads.downloads_mom_pct_change,
                coalesce(cadence.releases, 0) as package_releases
            from {t("package_downloads_monthly")} as downloads
            left join {t("release_cadence")} as cadence
                on cadence.subject_type = 'package' and cadence.subject = downloads.package
                and cadence.month = downloads.month
            where contains(?, downloads.package) and downloads.month between ? and ?
            order by subject, period""",
        (list(packages), period_start("month", start), end),
    )


# --- data health -----------------------------------------------------------------------------------


def health_sources(t: Tables) -> Query:
    return Query(
        "health_sources",
        f"""select source_system, entity, latest_load_date, latest_fetched_at, bronze_loaded_through,
                load_dates, raw_rows
            from {t("data_health_sources")}
            order by source_system, entity""",
    )


def dbt_tests_latest(t: Tables) -> Query:
    return Query(
        "dbt_tests_latest",
        f"""select generated_at, invocation_id, status, model, test_name, failures, message, execution_time_s
            from {t("dbt_test_results")}
            where invocation_id = (select max_by(invocation_id, generated_at) from {t("dbt_test_results")})
            order by case status when 'fail' then 0 when 'error' then 1 when 'warn' then 2 else 3 end,
                model, test_name""",
    )


def dbt_tests_history(t: Tables, limit: int = 30) -> Query:
    return Query(
        "dbt_tests_history",
        f"""select invocation_id, max(generated_at) as generated_at, count(*) as tests,
                count_if(status = 'pass') as passed,
                count_if(status in ('fail', 'error')) as failed,
                count_if(status = 'warn') as warned
            from {t("dbt_test_results")}
            group by invocation_id
            order by generated_at desc
            limit {int(limit)}""",
    )


def pipeline_latest(t: Tables) -> Query:
    return Query(
        "pipeline_latest",
        f"""select dag_id,
                max_by(state, start_date) as last_state,
                max(start_date) as last_start,
                max_by(end_date, start_date) as last_end,
                max_by(duration_s, start_date) as last_duration_s,
                max_by(run_id, start_date) as last_run_id,
                max(end_date) filter (where state = 'success') as last_success_end,
                count(*) as runs_recorded
            from {t("pipeline_runs")}
            group by dag_id
            order by dag_id""",
    )


def pipeline_recent(t: Tables, limit: int = 50) -> Query:
    return Query(
        "pipeline_recent",
        f"""select dag_id, run_id, run_type, state, start_date, end_date, duration_s
            from {t("pipeline_runs")}
            order by start_date desc
            limit {int(limit)}""",
    )
