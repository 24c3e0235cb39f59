"""``make bench-dashboard``: page load times through Debian's Chromium and Trino time per chart query.

Against the real stack and lake.gold (run ``make demo`` first), on a private dashboard server (the
stack's Streamlit command on a free port; the shared one is not touched), with each page's default
filters (the last 365 days, by month, bots excluded; the first repository and package; every
repository and package on Compare):

* Trino time per chart: each query of a page through :class:`osspulse.dashboard.gold.GoldReader`
  (the pages' own access layer, as the dashboard user), median of ``--repeat`` runs. Trino keeps no
  result cache, so each run executes the query.
* Page load, interactive = the script run has drawn its last element, Streamlit is idle and every
  Plotly chart is drawn (:func:`osspulse_dev.browser_harness.wait_ready`):
    - first: the first page of a fresh server process (Python imports, empty cache);
    - cold: "Refresh data" clicked on the page (every query of the page and sidebar goes to Trino);
    - warm: the page opened in the browser (a new session: websocket, script run) with a warm cache;
    - warm nav: the page chosen in the sidebar from another page (same session, warm cache).

Goal: every page interactive within 1.5 s warm. Figures are printed; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import time
from datetime import timedelta

from osspulse import logs
from osspulse.dashboard import queries
from osspulse.dashboard.filters import DataBounds
from osspulse.dashboard.gold import GoldReader, Query
from osspulse.settings import REPO_ROOT, Settings, get_settings
from osspulse_dev import browser_harness as harness

log = logging.getLogger("bench.dashboard")
GOAL_WARM_S = 1.5
PAGES = {  # url path -> sidebar title
    "": "Overview",
    "repositories": "Repositories",
    "packages": "Packages",
    "compare": "Compare",
    "data-health": "Data health",
}


def page_queries(reader: GoldReader) -> dict[str, list[Query]]:
    """The queries each page runs with its default filters (the sidebar's three on every page)."""
    t = reader.table
    b = DataBounds.from_frame(reader.run(queries.data_bounds(t)))
    if b.empty:
        raise SystemExit("lake.gold is empty: run `make demo` first")
    subjects = reader.run(queries.subjects(t))
    repos = sorted(subjects.loc[subjects.kind == "repo", "name"])
    packages = sorted(subjects.loc[subjects.kind == "package", "name"])
    repo, package = repos[0], packages[0]
    end = b.last
    start = max(b.first, end - timedelta(days=364))
    grain, bots = "month", False
    sidebar = [queries.data_bounds(t), queries.subjects(t), queries.projects(t)]
    out = {
        "": [
            queries.repo_headlines(t, bots),
            queries.package_headlines(t),
            queries.freshness_by_source(t),
            queries.pipeline_latest(t),
        ],
        "repositories": [
            queries.repo_headlines(t, bots),
            queries.repo_activity(t, repo, grain, start, end, bots),
            queries.top_contributors(t, repo, bots),
            queries.issue_responsiveness(t, repo, start, end),
            queries.contributor_absence(t, repo, start, end),
            queries.repo_snapshots(t, repo, start, end),
            queries.release_cadence(t, "repository", repo, start, end),
        ],
        "packages": [
            queries.package_headlines(t),
            queries.package_downloads(t, package, grain, start, end),
            queries.download_shares(t, "python", package, start, end),
            queries.download_shares(t, "os", package, start, end),
            queries.release_cadence(t, "package", package, start, end),
        ],
        "compare": [
            queries.compare_repo_activity(t, repos, grain, start, end, bots),
            queries.compare_repo_stars(t, repos, grain, start, end),
            queries.compare_repo_monthly(t, repos, start, end),
            queries.compare_package_downloads(t, packages, grain, start, end),
            queries.compare_package_monthly(t, packages, start, end),
            queries.compare_package_releases(t, packages, start, end),
        ],
        "data-health": [
            queries.health_sources(t),
            queries.dbt_tests_latest(t),
            queries.dbt_tests_history(t),
            queries.pipeline_latest(t),
            queries.pipeline_recent(t),
        ],
    }
    return {path: sidebar + qs for path, qs in out.items()}


def time_queries(reader: GoldReader, per_page: dict[str, list[Query]], repeat: int) -> dict[str, list[dict]]:
    results: dict[str, list[dict]] = {}
    for path, qs in per_page.items():
        rows = []
        for q in qs:
            times, n = [], 0
            for _ in range(repeat):
                started = time.perf_counter()
                n = len(reader.run(q))
                times.append(time.perf_counter() - started)
            rows.append({"query": q.name, "rows": n, "median_ms": round(statistics.median(times) * 1000)})
        results[path] = rows
    return results


def time_pages(settings: Settings, repeat: int) -> dict[str, dict]:
    from playwright.sync_api import sync_playwright

    log_file = REPO_ROOT / "artifacts" / "dashboard" / "bench-streamlit.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict] = {}
    with harness.serve(settings, log_file=log_file) as url, sync_playwright() as p:
        browser = harness.chromium(p)
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        page.set_default_timeout(120_000)
        first = harness.goto(page, f"{url}/")
        results["_first"] = {"first_load_s": round(first, 2)}
        for path, title in PAGES.items():
            harness.goto(page, f"{url}/{path}")  # this session's widgets exist; the cache is warm
            cold = []
            for _ in range(max(1, repeat // 2 + 1)):
                before = harness.current_run(page)
                started = time.perf_counter()
                page.locator('[data-testid="stSidebar"]').get_by_role("button", name="Refresh data").click()
                harness.wait_ready(page, after=before, timeout_s=120)
                cold.append(time.perf_counter() - started)
            warm = [harness.goto(page, f"{url}/{path}") for _ in range(repeat)]
            nav = []
            for _ in range(repeat):
                other = "Data health" if title != "Data health" else "Overview"
                before = harness.current_run(page)
                page.locator('[data-testid="stSidebarNav"] a', has_text=other).first.click()
                harness.wait_ready(page, after=before)
                before = harness.current_run(page)
                started = time.perf_counter()
                page.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()
                harness.wait_ready(page, after=before)
                nav.append(time.perf_counter() - started)
            charts = page.locator('[data-testid="stPlotlyChart"]').count()
            results[path] = {
                "page": title,
                "charts": charts,
                "cold_s": round(statistics.median(cold), 2),
                "warm_s": round(statistics.median(warm), 2),
                "warm_max_s": round(max(warm), 2),
                "warm_nav_s": round(statistics.median(nav), 2),
            }
            log.info("%s: %s", title, results[path])
        browser.close()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (default 5)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args(argv)
    logs.configure()
    settings = get_settings()

    reader = GoldReader(settings)
    per_page = page_queries(reader)
    log.info("timing %d chart queries on Trino", sum(len(q) for q in per_page.values()))
    query_times = time_queries(reader, per_page, args.repeat)
    reader.close()
    log.info("timing page loads in Chromium")
    page_times = time_pages(settings, args.repeat)

    out = sys.stdout
    out.write(f"\nTrino time per chart query (dashboard user, median of {args.repeat} runs)\n")
    for path, rows in query_times.items():
        out.write(f"  {PAGES[path]}\n")
        for r in rows:
            out.write(f"    {r['query']:<34} {r['median_ms']:>6} ms  {r['rows']:>5} rows\n")
    out.write(
        f"\nPage load through Chromium, seconds to interactive (first load of a fresh server: "
        f"{page_times['_first']['first_load_s']} s)\n"
    )
    out.write(
        f"  {'page':<14}{'charts':>7}{'queries':>8}{'Trino sum':>10}{'cold':>7}{'warm':>7}{'warm max':>9}"
        f"{'warm nav':>9}  goal warm <= {GOAL_WARM_S} s\n"
    )
    for path in PAGES:
        r = page_times[path]
        trino = sum(q["median_ms"] for q in query_times[path]) / 1000
        verdict = "met" if r["warm_max_s"] <= GOAL_WARM_S else "MISSED"
        out.write(
            f"  {r['page']:<14}{r['charts']:>7}{len(query_times[path]):>8}{trino:>9.2f}s{r['cold_s']:>6.2f}s"
            f"{r['warm_s']:>6.2f}s{r['warm_max_s']:>8.2f}s{r['warm_nav_s']:>8.2f}s  {verdict}\n"
        )
    if args.json:
        out.write(json.dumps({"queries": query_times, "pages": page_times}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
