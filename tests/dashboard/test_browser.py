"""The dashboard in Debian's Chromium against the real stack and lake.gold.

Expected figures are computed here, independently, with our own SQL as the etl user; the pages must
show them (metric text, tables, and the CSV behind a chart's download button). Screenshots of every
page go to artifacts/dashboard/.
"""

from __future__ import annotations

import csv
import io
import urllib.parse
from datetime import date, timedelta

import pytest

from osspulse.dashboard.comparison import BY_KEY
from osspulse.lake.trino import trino_connection
from osspulse_dev import browser_harness as harness
from tests.dashboard.test_queries import EVIL

pytestmark = [pytest.mark.browser, pytest.mark.integration]

REPO, PACKAGE, GROUP = "apache/iceberg", "pyiceberg", "apache-iceberg"


# --- independent expectations (etl user, own SQL) ------------------------------------------------


class Gold:
    def __init__(self, settings):
        self.settings = settings

    def rows(self, sql: str) -> list[tuple]:
        with trino_connection(self.settings) as conn:
            cur = conn.cursor()
            cur.execute(sql)
            return [tuple(r) for r in cur.fetchall()]

    def scalar(self, sql: str):
        return self.rows(sql)[0][0]

    def table_exists(self, name: str) -> bool:
        return bool(
            self.scalar(
                "select count(*) from lake.information_schema.tables "
                f"where table_schema = 'gold' and table_name = '{name}'"
            )
        )


@pytest.fixture(scope="module")
def gold(gold_stack) -> Gold:
    g = Gold(gold_stack)
    if not g.scalar("select count(*) from lake.gold.repo_activity_daily"):
        pytest.fail("lake.gold is empty: run `make demo` first")
    return g


@pytest.fixture(scope="module")
def as_of(gold) -> tuple[date, date]:
    """The latest as-of date of any repository and of any package (the sidebar's bounds)."""
    return (
        gold.scalar("select max(as_of_date) from lake.gold.repo_headlines"),
        gold.scalar("select max(as_of_date) from lake.gold.package_headlines"),
    )


@pytest.fixture(scope="module")
def date_range(as_of) -> tuple[date, date]:
    """A range that starts mid-month (the first period is truncated to its start)."""
    end = as_of[0]
    return end - timedelta(days=200), end


def n(value) -> str:
    return f"{round(value):,}"


def hours(value) -> str:
    return f"{value / 24:.1f} days" if value >= 48 else f"{value:.1f} h"


# --- page helpers ---------------------------------------------------------------------------------


def open_page(page, base: str, path: str = "", **params) -> None:
    query = f"?{urllib.parse.urlencode(params)}" if params else ""
    harness.goto(page, f"{base}/{path}{query}")
    assert_healthy(page)


def assert_healthy(page, errors_allowed: bool = False) -> None:
    exceptions = page.locator('[data-testid="stException"]').all_inner_texts()
    assert not exceptions, exceptions
    if not errors_allowed:
        errors = page.locator('[data-testid="stAlertContentError"]').all_inner_texts()
        assert not errors, errors


def act(page, action) -> None:
    """Do something that reruns the script, and wait for the new run to be drawn."""
    before = harness.current_run(page)
    action()
    harness.wait_ready(page, after=before)
    assert_healthy(page)


def metric(page, label: str, scope: str = "") -> str:
    card = page.locator(f'{scope} [data-testid="stMetric"]'.strip()).filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=label)
    )
    return card.locator('[data-testid="stMetricValue"]').inner_text().strip()


def download_csv(page, key: str) -> list[dict[str, str]]:
    with page.expect_download() as info:
        page.locator(f".st-key-csv-{key} button").click()
    text = info.value.path().read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def chart_count(page) -> int:
    return page.locator('[data-testid="stPlotlyChart"] .js-plotly-plot').count()


def html_table(page) -> list[list[str]]:
    return page.evaluate(
        """() => [...document.querySelectorAll('[data-testid="stTable"] table tr')]
            .map(tr => [...tr.children].map(td => td.innerText.trim()))"""
    )


# --- the pages ------------------------------------------------------------------------------------


def test_overview_shows_the_headline_figures_and_the_bots_filter(
    page, dashboard_url, gold, dashboard_artifacts
):
    """The cards show gold.repo_headlines / package_headlines; the test recomputes them from the daily
    tables over each subject's own window (its as-of date - 89 days .. its as-of date)."""
    projects = gold.rows(
        "select project, arbitrary(repo), arbitrary(package) from lake.gold.project_comparison_monthly "
        "group by project order by project"
    )
    window = (
        "from lake.gold.repo_activity_daily as d join lake.gold.repo_headlines as h on d.repo_id = h.repo_id "
        "where d.day between h.as_of_date - interval '89' day and h.as_of_date"
    )
    commits = dict(gold.rows(f"select d.repo, sum(d.human_commits) {window} group by 1"))
    all_commits = dict(gold.rows(f"select d.repo, sum(d.commits) {window} group by 1"))
    authors = dict(
        gold.rows(
            "select t.repo, count(*) from lake.gold.top_contributors as t join lake.gold.repo_headlines as h "
            "on t.repo_id = h.repo_id where not t.is_bot and t.commits > 0 "
            "and t.last_commit_on between h.as_of_date - interval '89' day and h.as_of_date group by 1"
        )
    )
    stars = dict(
        gold.rows(
            "select s.repo, max_by(s.stars, s.snapshot_date) from lake.gold.repo_snapshot_history as s "
            "join lake.gold.repo_headlines as h on s.repo_id = h.repo_id "
            "where s.snapshot_date <= h.as_of_date group by 1"
        )
    )
    resolution = dict(
        gold.rows(
            "select r.repo, r.issue_resolution_hours_median from lake.gold.issue_responsiveness_monthly as r "
            "join lake.gold.repo_headlines as h on r.repo_id = h.repo_id "
            "where r.month = date_add('month', -1, date_trunc('month', h.as_of_date + interval '1' day))"
        )
    )
    downloads = dict(
        gold.rows(
            "select d.package, sum(d.downloads) from lake.gold.package_downloads_daily as d "
            "join lake.gold.package_headlines as h on d.package = h.package "
            "where d.download_date > h.as_of_date - interval '30' day group by 1"
        )
    )

    open_page(page, dashboard_url)
    assert page.get_by_text("Every figure ends at its subject's own as-of date").is_visible()
    checked = 0
    for project, repo, package in projects:
        scope = f".st-key-project-{project.lower()}"
        if repo:
            assert metric(page, "Stars", scope) == n(stars[repo])
            assert metric(page, "Commits, 90 days", scope) == n(commits[repo]), project
            assert metric(page, "Active authors, 90 days", scope) == n(authors.get(repo, 0)), project
            if resolution.get(repo) is not None:
                assert metric(page, "Median issue resolution", scope) == hours(resolution[repo])
            checked += 4
        if package:
            assert metric(page, "Downloads, 30 days", scope) == n(downloads[package]), project
            checked += 1
    assert checked >= 10
    sources = {s for (s,) in gold.rows("select distinct source_system from lake.gold.data_health_sources")}
    labels = page.locator('[data-testid="stMetricLabel"]').all_inner_texts()
    assert {f"{s} loaded through" for s in sources} <= {label.strip() for label in labels}
    harness.screenshot(page, dashboard_artifacts / "overview.png")

    # the bots filter: commits now count every author
    assert any(all_commits[r] != commits[r] for r in commits), "the demo data should have bot commits"
    act(page, lambda: page.locator('[data-testid="stSidebar"]').get_by_text("Include bots").click())
    for project, repo, _ in projects:
        if repo:
            assert metric(page, "Commits, 90 days", f".st-key-project-{project}") == n(all_commits[repo])
    assert "bots=1" in page.url
    harness.screenshot(page, dashboard_artifacts / "overview-with-bots.png")

    # /overview serves the Overview too (Streamlit serves the default page at / only)
    open_page(page, dashboard_url, "overview")
    assert page.get_by_role("heading", name="Overview").is_visible()
    assert not page.get_by_text("Page not found").is_visible()


def test_repositories_activity_granularity_and_a_harmless_search(
    page, dashboard_url, gold, date_range, dashboard_artifacts
):
    start, end = date_range
    open_page(page, dashboard_url, "repositories", repo=REPO, start=start, end=end, grain="month")
    assert chart_count(page) == 4

    expected = gold.rows(
        "select month, human_commits, human_active_authors from lake.gold.repo_activity_monthly "
        f"where repo = '{REPO}' and month between date_trunc('month', date '{start}') and date '{end}' "
        "order by 1"
    )
    shown = download_csv(page, "activity")
    assert [(r["period"], int(r["commits"]), int(r["active_authors"])) for r in shown] == [
        (str(m), c, a) for m, c, a in expected
    ]

    # a filter: weekly granularity reads repo_activity_weekly
    act(page, lambda: page.locator('[data-testid="stSidebar"]').get_by_role("radio", name="Week").click())
    expected = gold.rows(
        "select week, human_commits from lake.gold.repo_activity_weekly "
        f"where repo = '{REPO}' and week between date_trunc('week', date '{start}') and date '{end}' "
        "order by 1"
    )
    shown = download_csv(page, "activity")
    assert [(r["period"], int(r["commits"])) for r in shown] == [(str(w), c) for w, c in expected]
    assert "grain=week" in page.url
    harness.screenshot(page, dashboard_artifacts / "repositories-weekly.png")

    # the contributor search travels as a parameter: an injection attempt is only a name nobody has
    top_login = gold.scalar(
        f"select login from lake.gold.top_contributors where repo = '{REPO}' and login is not null "
        "order by commits_trailing_365d desc, commits desc limit 1"
    )
    before = gold.scalar("select count(*) from lake.gold.repo_activity_monthly")
    search = page.get_by_label("Find a contributor")
    act(page, lambda: (search.fill(top_login[:4]), search.press("Enter")))
    found = download_csv(page, "contributors")
    assert found and all(top_login[:4].lower() in r["contributor"].lower() for r in found)
    act(page, lambda: (search.fill(EVIL), search.press("Enter")))
    assert page.get_by_text("No contributor matches.").is_visible()
    assert gold.table_exists("repo_activity_monthly")
    assert gold.scalar("select count(*) from lake.gold.repo_activity_monthly") == before
    harness.screenshot(page, dashboard_artifacts / "repositories-search-injection.png")

    # the same string in a link is not a tracked repository: the page says so and shows another
    open_page(page, dashboard_url, "repositories", repo=EVIL)
    assert page.get_by_text("The repository named in the link is not tracked").is_visible()
    assert chart_count(page) == 4
    assert gold.scalar("select count(*) from lake.gold.repo_activity_monthly") == before


def number(text: str) -> int | None:
    """A CSV cell of a count: empty for no data."""
    return int(text) if text else None


def test_packages_downloads(page, dashboard_url, gold, date_range, dashboard_artifacts):
    start, end = date_range
    open_page(page, dashboard_url, "packages", package=PACKAGE, start=start, end=end, grain="month")
    downloads_30d = gold.scalar(
        "select sum(d.downloads) from lake.gold.package_downloads_daily as d "
        "join lake.gold.package_headlines as h on d.package = h.package "
        f"where d.package = '{PACKAGE}' and d.download_date > h.as_of_date - interval '30' day"
    )
    assert metric(page, "Downloads, 30 days") == n(downloads_30d)
    expected = gold.rows(
        "select month, downloads from lake.gold.package_downloads_monthly "
        f"where package = '{PACKAGE}' and month between date_trunc('month', date '{start}') and date '{end}' "
        "order by 1"
    )
    assert [(r["period"], number(r["downloads"])) for r in download_csv(page, "downloads")] == [
        (str(m), d) for m, d in expected
    ]
    assert chart_count(page) == 4
    harness.screenshot(page, dashboard_artifacts / "packages.png")

    act(page, lambda: page.locator('[data-testid="stSidebar"]').get_by_role("radio", name="Day").click())
    daily = download_csv(page, "downloads")
    assert {"downloads_ma_7d", "downloads_ma_30d"} <= set(daily[0])
    assert sum(number(r["downloads"]) or 0 for r in daily) == gold.scalar(
        "select sum(downloads) from lake.gold.package_downloads_daily "
        f"where package = '{PACKAGE}' and download_date between date '{start}' and date '{end}'"
    )
    harness.screenshot(page, dashboard_artifacts / "packages-daily.png")


def test_compare_a_group_side_by_side(page, dashboard_url, gold, date_range, dashboard_artifacts):
    start, end = date_range
    members = gold.rows(
        "select arbitrary(repo), arbitrary(package) from lake.gold.project_comparison_monthly "
        f"where contains(group_names, '{GROUP}') group by project"
    )
    repos = sorted(r for r, _ in members if r)
    packages = sorted(p for _, p in members if p)
    open_page(page, dashboard_url, "compare", group=GROUP, start=start, end=end, grain="month")

    table = html_table(page)
    header, rows = table[0], {row[0]: row[1:] for row in table[1:]}
    assert sorted(header[1:]) == sorted([*repos, *packages])
    commits = dict(
        gold.rows(
            "select repo, sum(human_commits) from lake.gold.repo_activity_monthly "
            f"where month between date_trunc('month', date '{start}') and date '{end}' group by 1"
        )
    )
    downloads = dict(
        gold.rows(
            "select package, sum(downloads) from lake.gold.package_downloads_daily "
            f"where download_date between date_trunc('month', date '{start}') and date '{end}' group by 1"
        )
    )
    for i, subject in enumerate(header[1:]):
        if subject in repos:
            assert rows["Commits (total)"][i] == n(commits[subject]), subject
            assert rows["Downloads (total)"][i] == "—"
        else:
            assert rows["Downloads (total)"][i] == n(downloads[subject]), subject
    assert "group=apache-iceberg" in page.url
    assert chart_count(page) == 1  # one figure, a panel per measure on a shared time axis
    charted = {r["measure"] for r in download_csv(page, "compare-charts")}
    assert {"commits", "active_authors", "stars", "downloads"} <= charted
    harness.screenshot(page, dashboard_artifacts / "compare.png")

    # the selection survives a visit to another page
    nav = page.locator('[data-testid="stSidebarNav"] a')
    act(page, lambda: nav.filter(has_text="Data health").click())
    act(page, lambda: nav.filter(has_text="Compare").click())
    assert sorted(html_table(page)[0][1:]) == sorted([*repos, *packages])

    act(page, lambda: page.get_by_text("Normalised").click())
    series = download_csv(page, "compare-all")
    peaks: dict[tuple[str, str], float] = {}
    for r in series:
        if not BY_KEY[r["measure"]].percent and r["plotted"]:  # shares and % changes are drawn as they are
            key = (r["subject"], r["measure"])
            peaks[key] = max(peaks.get(key, 0.0), abs(float(r["plotted"])))
    assert peaks and all(p in (0.0, 100.0) for p in peaks.values())
    harness.screenshot(page, dashboard_artifacts / "compare-normalised.png")


def test_data_health(page, dashboard_url, gold, dashboard_artifacts):
    open_page(page, dashboard_url, "data-health")
    entities = {e for (e,) in gold.rows("select entity from lake.gold.data_health_sources")}
    shown = {row[1] for row in html_table(page)[1:]}
    assert entities and entities <= shown
    link = page.get_by_role("link", name="dbt docs")
    assert link.get_attribute("href").endswith(f":{gold.settings.docs_port}")

    latest = gold.scalar("select count(*) from lake.gold.data_health_dbt_tests where is_latest_run")
    if latest:
        assert metric(page, "Tests") == str(latest)
    else:
        assert page.get_by_text("No dbt test results recorded yet").is_visible()
    dags = {d for (d,) in gold.rows("select distinct dag_id from lake.gold.data_health_dag_runs")}
    if dags:
        assert dags <= {row[0] for row in html_table(page)}
    else:
        assert page.get_by_text("No DAG runs recorded yet").is_visible()
    harness.screenshot(page, dashboard_artifacts / "data-health.png")


def test_alerts(page, dashboard_url, gold, dashboard_artifacts):
    open_page(page, dashboard_url, "alerts")
    assert page.get_by_role("heading", name="Alerts").first.is_visible()
    opened = gold.rows(
        "select rule, subject from lake.gold.alert_events where resolved_at is null "
        "order by first_seen desc, rule, subject"
    )
    assert metric(page, "Open alerts") == str(len(opened))
    if opened:
        shown = download_csv(page, "alerts-open")
        assert [(r["rule"], r["subject"]) for r in shown] == [tuple(r) for r in opened]
        link = page.get_by_role("link", name="open the charts").first
        assert link.get_attribute("href").rstrip("/").rsplit("/", 1)[-1] in (
            "repositories",
            "packages",
            "data-health",
        )
    else:
        assert page.get_by_text("No open alert.").is_visible()
    harness.screenshot(page, dashboard_artifacts / "alerts.png")
