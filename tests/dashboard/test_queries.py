"""The dashboard's SQL builders and pure helpers (no services needed)."""

from __future__ import annotations

import inspect
from datetime import UTC, date, datetime

import pandas as pd
import pytest

from osspulse.dashboard import comparison, formatting, queries
from osspulse.dashboard.filters import DataBounds, initial_filters
from osspulse.dashboard.gold import GOLD_TABLES, GoldReader, Query
from osspulse.settings import Settings
from osspulse.transform.project import gold_tables

EVIL = "x'; drop table lake.gold.repo_activity_monthly; --"
START, END = date(2026, 1, 15), date(2026, 11, 23)


@pytest.fixture
def t():
    return GoldReader(Settings(_env_file=None)).table


def every_query(t, value: str = EVIL) -> list[Query]:
    """Every builder, with ``value`` wherever a page passes a user-chosen string."""
    built = [
        queries.data_bounds(t),
        queries.subjects(t),
        queries.projects(t),
        queries.repo_headlines(t, False),
        queries.repo_headlines(t, True),
        queries.package_headlines(t),
        queries.freshness_by_source(t),
        queries.top_contributors(t, value, False, value),
        queries.top_contributors(t, value, True),
        queries.issue_responsiveness(t, value, START, END),
        queries.contributor_absence(t, value, START, END),
        queries.repo_snapshots(t, value, START, END),
        queries.release_cadence(t, "repository", value, START, END),
        queries.release_cadence(t, "package", value, START, END),
        queries.download_shares(t, "python", value, START, END),
        queries.download_shares(t, "os", value, START, END),
        queries.compare_repo_monthly(t, [value, "apache/iceberg"], START, END),
        queries.compare_package_monthly(t, [value], START, END),
        queries.compare_package_releases(t, [value], START, END),
        queries.health_sources(t),
        queries.dbt_tests_latest(t),
        queries.dbt_tests_history(t),
        queries.pipeline_latest(t),
        queries.pipeline_recent(t),
        queries.alerts_open(t),
        queries.alerts_recent(t),
    ]
    for grain in queries.GRAINS:
        built += [
            queries.repo_activity(t, value, grain, START, END, False),
            queries.package_downloads(t, value, grain, START, END),
            queries.compare_repo_activity(t, [value], grain, START, END, True),
            queries.compare_repo_stars(t, [value], grain, START, END),
            queries.compare_package_downloads(t, [value], grain, START, END),
        ]
    return built


def test_every_builder_is_covered(t):
    builders = {
        name
        for name, fn in inspect.getmembers(queries, inspect.isfunction)
        if inspect.signature(fn).return_annotation in ("Query", Query)
    }
    covered = {q.name.removesuffix(s) for q in every_query(t) for s in ("", "_day", "_week", "_month")}
    covered |= {q.name.rsplit("_", 1)[0] for q in every_query(t)}
    missing = [b for b in builders if b not in covered]
    assert not missing, f"builders without a case in every_query: {missing}"


def test_user_values_travel_only_as_parameters(t):
    for query in every_query(t):
        assert EVIL not in query.sql, query.name
        assert "drop table" not in query.sql.lower(), query.name
        assert query.sql.count("?") == len(query.params), query.name
    carried = [
        q for q in every_query(t) if any(EVIL in (p if isinstance(p, list) else [p]) for p in q.params)
    ]
    assert len(carried) >= 20


def test_placeholders_and_values_must_match():
    with pytest.raises(ValueError, match="2 placeholders, 1 values"):
        Query("bad", "select ? + ?", (1,))


def test_tables_come_from_the_allow_list_only():
    reader = GoldReader(Settings(_env_file=None))
    assert reader.table("repo_activity_daily") == '"lake"."gold"."repo_activity_daily"'
    for name in ("silver.fct_commits", 'repo_activity_daily"; drop table x; --', "users", ""):
        with pytest.raises(ValueError, match="not a table the dashboard reads"):
            reader.table(name)
    with pytest.raises(ValueError, match="not tables"):
        reader.tables_query(["data_health_dag_runs", "raw_commits"])
    # the allow-list is the dbt project's gold layer (osspulse.transform.project): metrics and data health
    assert set(gold_tables()) == GOLD_TABLES
    assert {"repo_headlines", "package_headlines", "data_health_sources"} <= GOLD_TABLES


def test_grains_and_subject_types_are_checked(t):
    with pytest.raises(ValueError, match="granularity"):
        queries.repo_activity(t, "a/b", "year", START, END, False)
    with pytest.raises(ValueError, match="granularity"):
        queries.compare_package_downloads(t, ["p"], "day') --", START, END)
    with pytest.raises(ValueError, match="subject_type"):
        queries.release_cadence(t, "repo' or 1=1 --", "a/b", START, END)
    with pytest.raises(ValueError, match="breakdown"):
        queries.download_shares(t, "python_minor; --", "p", START, END)


def test_bots_choose_the_human_columns(t):
    humans = queries.repo_activity(t, "a/b", "month", START, END, include_bots=False).sql
    everyone = queries.repo_activity(t, "a/b", "month", START, END, include_bots=True).sql
    assert "human_commits as commits" in humans and "human_active_authors as active_authors" in humans
    assert "human_prs_opened as prs_opened" in humans and "human_issues_opened as issues_opened" in humans
    assert "human_" not in everyone
    assert "human_commits_90d as commits_90d" in queries.repo_headlines(t, False).sql
    assert "human_" not in queries.repo_headlines(t, True).sql
    assert "is_bot is distinct from true" in queries.top_contributors(t, "a/b", False).sql
    assert "is_bot" not in queries.top_contributors(t, "a/b", True).sql.split("where")[1]


def test_figures_are_gold_columns_not_dashboard_arithmetic(t):
    """Issue 15 (8): the dashboard selects gold columns; it computes no metric of its own."""
    for query in every_query(t, "x"):
        sql = query.sql.lower()
        for arithmetic in ("lag(", "over (", " / ", "filter (where download_date"):
            assert arithmetic not in sql, f"{query.name} computes ({arithmetic.strip()})"
    weekly = queries.package_downloads(t, "p", "week", START, END).sql
    assert '"package_downloads_weekly"' in weekly and "downloads_wow_pct_change" in weekly
    releases = queries.compare_package_releases(t, ["p"], START, END).sql
    assert '"release_cadence"' in releases and "package_downloads" not in releases


def test_period_start_and_last_complete_month():
    day = date(2026, 11, 19)  # a Thursday
    assert queries.period_start("day", day) == day
    assert queries.period_start("week", day) == date(2026, 11, 16)
    assert queries.period_start("month", day) == date(2026, 11, 1)
    assert queries.last_complete_month(date(2026, 11, 23)) == date(2026, 10, 1)
    assert queries.last_complete_month(date(2026, 10, 31)) == date(2026, 10, 1)
    assert queries.last_complete_month(date(2026, 1, 5)) == date(2025, 12, 1)


BOUNDS = DataBounds(date(2025, 9, 8), date(2026, 11, 23), date(2026, 5, 6), date(2026, 11, 1))


def test_filters_from_the_url_fall_back_and_clamp():
    f = initial_filters({}, BOUNDS)
    assert (f.start, f.end, f.grain, f.include_bots) == (
        date(2025, 11, 24),
        date(2026, 11, 23),
        "month",
        False,
    )
    f = initial_filters({"start": "2020-01-01", "end": "2030-01-01", "grain": "week", "bots": "1"}, BOUNDS)
    assert (f.start, f.end, f.grain, f.include_bots) == (date(2025, 9, 8), date(2026, 11, 23), "week", True)
    f = initial_filters({"start": EVIL, "end": "2026-13-01", "grain": EVIL, "bots": EVIL}, BOUNDS)
    assert (f.start, f.end, f.grain, f.include_bots) == (
        date(2025, 11, 24),
        date(2026, 11, 23),
        "month",
        False,
    )
    f = initial_filters({"start": "2026-06-01", "end": "2026-03-01"}, BOUNDS)
    assert f.start == f.end == date(2026, 3, 1)
    assert initial_filters(f.as_query_params(), BOUNDS) == f


def test_formatting():
    assert formatting.integer(35789055) == "35,789,055"
    assert formatting.integer(None) == formatting.integer(float("nan")) == "no data"
    assert formatting.hours(None) == "no data"
    assert formatting.percent_change(0.0412) == "+4.1%"
    assert formatting.percent_change(-0.5) == "-50.0%"
    assert formatting.percent_change(None) is None
    assert formatting.hours(123.9) == "5.2 days"
    assert formatting.hours(7.25) == "7.2 h"
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    assert formatting.ago(datetime(2026, 11, 23, 9, tzinfo=UTC), now) == "3.0 h ago"
    assert formatting.ago(None, now) == "never"
    assert formatting.partial_period_note("month", date(2026, 11, 23)).startswith(
        " The last month is partial"
    )
    assert formatting.partial_period_note("month", date(2026, 10, 31)) == ""
    assert formatting.partial_period_note("day", date(2026, 11, 23)) == ""


def _wide(subject: str, values: list[float], column: str = "commits") -> pd.DataFrame:
    periods = [date(2026, m, 1) for m in range(1, len(values) + 1)]
    return pd.DataFrame({"subject": subject, "period": periods, column: values})


def test_compare_normalises_each_series_to_its_peak():
    long = comparison.long_frame([pd.concat([_wide("a", [10, 20, 40]), _wide("b", [1, 2, 0])])], "repo")
    shown = comparison.normalise(long)
    assert list(shown[shown.subject == "a"]["shown"]) == [25, 50, 100]
    assert list(shown[shown.subject == "b"]["shown"]) == [50, 100, 0]
    change = comparison.long_frame([_wide("p", [0.1, -0.2], "downloads_mom_pct_change")], "package")
    assert list(comparison.normalise(change)["shown"]) == [0.1, -0.2]  # percentages stay as they are


def test_compare_scorecard_sums_up_each_measure_its_way():
    frames = [
        pd.concat([_wide("a", [10, 20]), _wide("b", [1, 2])]).assign(stars=[5, 7, 100, 90]),
        _wide("a", [3.0, 5.0], "issue_resolution_hours_median"),
    ]
    long = comparison.long_frame(frames, "repo")
    card = comparison.scorecard(long, ["a", "b", "p"], ["commits", "stars", "issue_resolution_hours_median"])
    assert list(card["measure"]) == [
        "Commits (total)",
        "Stars (latest)",
        "Issue resolution, median hours (mean per period)",
    ]
    assert list(card["a"]) == [30, 7, 4]
    assert list(card["b"][:2]) == [3, 90] and pd.isna(card["b"][2])
    assert card["p"].isna().all()
    assert comparison.format_cell("commits", 1234.0) == "1,234"
    assert comparison.format_cell("downloads_mom_pct_change", 0.05) == "+5.0%"
    assert comparison.format_cell("stars", None) == "—"
