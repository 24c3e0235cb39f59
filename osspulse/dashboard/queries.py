"""The SQL behind every chart: pure functions from filter values to a parameterised :class:`Query`.

The dashboard only filters and draws: every figure is a gold column (docs/metrics.md), selected here by
subject and date range. Values (repositories, packages, dates, search text) are always ``?``
parameters. The only things formatted into the SQL text are table names (through ``t``, the allow-list
of :meth:`osspulse.dashboard.gold.GoldReader.table`) and column names taken from the fixed mappings
below, chosen by validated keys.

Relative windows ("last 90 days", "30-day downloads") are gold columns that end at each subject's own
as-of date (its last loaded day), never at the wall clock: demo data that ends on a fixed day still
shows figures, and a repository whose data stops early is not shown as idle.
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

#: gold table and period column of the package downloads at each grain
DOWNLOAD_TABLES = {
    "day": ("package_downloads_daily", "download_date"),
    "week": ("package_downloads_weekly", "week"),
    "month": ("package_downloads_monthly", "month"),
}

#: measures with a bot-free twin column in the repo_activity_* models (the yml documents human_*)
BOT_AWARE = {
    "commits": "human_commits",
    "active_authors": "human_active_authors",
    "new_contributors": "human_new_contributors",
    "issues_opened": "human_issues_opened",
    "prs_opened": "human_prs_opened",
    "prs_merged": "human_prs_merged",
}
#: the same for repo_headlines
HEADLINE_BOT_AWARE = {"commits_90d": "human_commits_90d", "active_authors_90d": "human_active_authors_90d"}


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
    if measure in ("issues_closed", "releases", "merge_commits"):
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
            (select min(first_activity_on) from {t("repo_headlines")}) as github_first,
            (select max(as_of_date) from {t("repo_headlines")}) as github_as_of,
            (select min(download_date) from {t("package_downloads_daily")}) as pypi_first,
            (select max(as_of_date) from {t("package_headlines")}) as pypi_as_of""",
    )


def subjects(t: Tables) -> Query:
    """The repositories and packages that have gold data."""
    return Query(
        "subjects",
        f"""select 'repo' as kind, repo as name from {t("repo_headlines")}
            union all
            select 'package' as kind, package as name from {t("package_headlines")}
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


def repo_headlines(t: Tables, include_bots: bool) -> Query:
    """Per repository, gold.repo_headlines: stars, 90-day commits and active authors (the human_*
    columns when bots are excluded), last complete month's issue resolution, where the activity ends."""
    commits = "commits_90d" if include_bots else HEADLINE_BOT_AWARE["commits_90d"]
    authors = "active_authors_90d" if include_bots else HEADLINE_BOT_AWARE["active_authors_90d"]
    return Query(
        "repo_headlines",
        f"""select repo, as_of_date, window_start, stars, stars_on,
                {commits} as commits_90d, {authors} as active_authors_90d,
                last_complete_month, issue_resolution_hours_median_last_complete_month,
                issues_closed_last_complete_month, first_activity_on, last_activity_on, commits_after_as_of
            from {t("repo_headlines")}
            order by repo""",
    )


def package_headlines(t: Tables) -> Query:
    """Per package, gold.package_headlines: the 30-day downloads and their change."""
    return Query(
        "package_headlines",
        f"""select package, as_of_date, downloads_30d, days_reported_30d, downloads_previous_30d,
                days_reported_previous_30d, avg_daily_downloads_30d, downloads_30d_pct_change
            from {t("package_headlines")}
            order by package""",
    )


def freshness_by_source(t: Tables) -> Query:
    """Per source system: loaded through (the oldest entity's latest load date), the last load, and
    how many of its entities are stale or hold no data (gold.data_health_sources)."""
    return Query(
        "freshness_by_source",
        f"""select source_system, min(latest_load_date) as loaded_through,
                max(last_loaded_at) as last_loaded_at,
                count_if(status = 'stale') as stale_entities,
                count_if(status in ('no data', 'never loaded')) as entities_without_data
            from {t("data_health_sources")}
            group by source_system
            order by source_system""",
    )


# --- repositories ----------------------------------------------------------------------------------


def repo_activity(t: Tables, repo: str, grain: str, start: date, end: date, include_bots: bool) -> Query:
    table, period = ACTIVITY_TABLES[check_grain(grain)]
    measures = ("commits", "merge_commits", "active_authors", "new_contributors", "issues_opened")
    measures += ("issues_closed", "prs_opened", "prs_merged", "releases")
    columns = ", ".join(f"{activity_column(m, include_bots)} as {m}" for m in measures)
    partial = "false" if grain == "day" else "is_partial"
    return Query(
        f"repo_activity_{grain}",
        f"""select {period} as period, {columns}, {partial} as is_partial
            from {t(table)}
            where repo = ? and {period} between ? and ?
            order by period""",
        (repo, period_start(grain, start), end),
    )


def top_contributors(t: Tables, repo: str, include_bots: bool, search: str = "", limit: int = 20) -> Query:
    """People ranked by authored commits in the trailing 365 days (then all time); people known by an
    e-mail address only are shown by an anonymous label (gold's display_name), never the address.
    ``search`` matches the shown name."""
    search_clause = " and strpos(lower(display_name), lower(?)) > 0" if search else ""
    params: tuple[object, ...] = (repo, search) if search else (repo,)
    return Query(
        "top_contributors",
        f"""select display_name as contributor, is_bot, commits_trailing_365d, commits, merge_commits,
                rank_trailing_365d, rank_all_time, first_commit_on, last_commit_on, as_of_date
            from {t("top_contributors")}
            where repo = ?{_not_bot(include_bots)}{search_clause}
            order by commits_trailing_365d desc, commits desc, display_name
            limit {int(limit)}""",
        params,
    )


def issue_responsiveness(t: Tables, repo: str, start: date, end: date) -> Query:
    return Query(
        "issue_responsiveness",
        f"""select month as period, is_partial, issues_opened, issues_closed, issues_without_response,
                issue_first_response_hours_median, issues_responded_within_24h_share,
                issues_responded_within_7d_share, issue_resolution_hours_median,
                prs_opened, prs_closed, prs_merged, prs_without_response,
                pr_first_response_hours_median, prs_responded_within_24h_share,
                prs_responded_within_7d_share, time_to_merge_hours_median, change_request_closure_ratio
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
    """Downloads at the grain, from the gold table of that grain: daily rows carry the 7/30-day
    averages and the week-over-week and month-over-month changes; weekly and monthly rows the days
    reported, whether the period is complete, and the changes (of totals between complete periods,
    of per-day averages otherwise). Missing days and periods are null."""
    check_grain(grain)
    if grain == "day":
        return Query(
            "package_downloads_day",
            f"""select download_date as period, downloads, is_reported, downloads_ma_7d, downloads_ma_30d,
                    downloads_wow_pct_change, downloads_mom_pct_change
                from {t("package_downloads_daily")}
                where package = ? and download_date between ? and ?
                order by download_date""",
            (package, start, end),
        )
    table, period = DOWNLOAD_TABLES[grain]
    change = "wow" if grain == "week" else "mom"
    return Query(
        f"package_downloads_{grain}",
        f"""select {period} as period, downloads, days_reported, is_complete, is_partial,
                avg_daily_downloads, downloads_{change}_pct_change,
                avg_daily_downloads_{change}_pct_change
            from {t(table)}
            where package = ? and {period} between ? and ?
            order by {period}""",
        (package, period_start(grain, start), end),
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
                responsiveness.issues_responded_within_7d_share,
                responsiveness.issue_resolution_hours_median,
                responsiveness.time_to_merge_hours_median,
                absence.contributor_absence_factor
            from {t("issue_responsiveness_monthly")} as responsiveness
            left join {t("contributor_absence_factor")} as absence
                on responsiveness.repo_id = absence.repo_id and responsiveness.month = absence.month
            where contains(?, responsiveness.repo) and responsiveness.month between ? and ?
            order by subject, period""",
        (list(repos), period_start("month", start), end),
    )


def compare_repo_stars(t: Tables, repos: Sequence[str], grain: str, start: date, end: date) -> Query:
    """Stars and forks at the last snapshot of each period (a snapshot is a point, not a sum)."""
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
    table, period = DOWNLOAD_TABLES[check_grain(grain)]
    return Query(
        f"compare_package_downloads_{grain}",
        f"""select package as subject, {period} as period, downloads
            from {t(table)}
            where contains(?, package) and {period} between ? and ?
            order by subject, period""",
        (list(packages), period_start(grain, start), end),
    )


def compare_package_monthly(t: Tables, packages: Sequence[str], start: date, end: date) -> Query:
    """The monthly download changes (totals of complete months; per-day averages)."""
    return Query(
        "compare_package_monthly",
        f"""select package as subject, month as period, downloads_mom_pct_change,
                avg_daily_downloads_mom_pct_change
            from {t("package_downloads_monthly")}
            where contains(?, package) and month between ? and ?
            order by subject, period""",
        (list(packages), period_start("month", start), end),
    )


def compare_package_releases(t: Tables, packages: Sequence[str], start: date, end: date) -> Query:
    """PyPI releases per month, from the release history itself (months without download rows too)."""
    return Query(
        "compare_package_releases",
        f"""select subject, month as period, releases as package_releases
            from {t("release_cadence")}
            where subject_type = 'package' and contains(?, subject) and month between ? and ?
            order by subject, period""",
        (list(packages), period_start("month", start), end),
    )


# --- data health -----------------------------------------------------------------------------------


def health_sources(t: Tables) -> Query:
    return Query(
        "health_sources",
        f"""select source_system, entity, status, last_loaded_at, hours_since_load, stale_after_hours,
                latest_load_date, bronze_loaded_at, bronze_behind_raw, load_dates, raw_rows
            from {t("data_health_sources")}
            order by source_system, entity""",
    )


def dbt_tests_latest(t: Tables) -> Query:
    return Query(
        "dbt_tests_latest",
        f"""select generated_at, run_id, status, model, test_name, failures, message, execution_time_s
            from {t("data_health_dbt_tests")}
            where is_latest_run
            order by severity_order, model, test_name""",
    )


def dbt_tests_history(t: Tables, limit: int = 30) -> Query:
    return Query(
        "dbt_tests_history",
        f"""select run_id, run_at as generated_at, tests, passed, failed, warned, skipped, models_failed
            from {t("data_health_dbt_test_runs")}
            order by run_at desc
            limit {int(limit)}""",
    )


def pipeline_latest(t: Tables) -> Query:
    return Query(
        "pipeline_latest",
        f"""select dag_id, state as last_state, start_date as last_start, end_date as last_end,
                duration_s as last_duration_s, run_id as last_run_id, last_success_end, runs_recorded
            from {t("data_health_dag_runs")}
            where is_latest_run
            order by dag_id""",
    )


def pipeline_recent(t: Tables, limit: int = 50) -> Query:
    return Query(
        "pipeline_recent",
        f"""select dag_id, run_id, run_type, state, start_date, end_date, duration_s
            from {t("data_health_dag_runs")}
            order by start_date desc
            limit {int(limit)}""",
    )


# --- alerts ----------------------------------------------------------------------------------------

ALERT_COLUMNS = """event_id, rule, kind, subject_type, subject, event_key, period_start, period_grain,
                observed_value, threshold, detail, first_seen, resolved_at"""


def alerts_open(t: Tables) -> Query:
    return Query(
        "alerts_open",
        f"""select {ALERT_COLUMNS}
            from {t("alert_events")}
            where resolved_at is null
            order by first_seen desc, rule, subject""",
    )


def alerts_recent(t: Tables, days: int = 30) -> Query:
    return Query(
        "alerts_recent",
        f"""select {ALERT_COLUMNS}
            from {t("alert_events")}
            where first_seen >= current_timestamp - interval '{int(days)}' day
                or resolved_at >= current_timestamp - interval '{int(days)}' day
            order by first_seen desc, rule, subject""",
    )
