"""Fixtures of the dashboard tests: a private dashboard server and Debian's Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from osspulse.settings import Settings
from osspulse_dev import browser_harness as harness


@pytest.fixture(scope="session")
def dashboard_artifacts(artifacts_dir: Path) -> Path:
    path = artifacts_dir / "dashboard"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _gold_rows(settings: Settings) -> int:
    from trino.exceptions import TrinoUserError

    from osspulse.lake.trino import trino_connection

    with trino_connection(settings) as conn:
        cur = conn.cursor()
        try:
            cur.execute(f"select count(*) from {settings.catalog_name}.gold.repo_activity_daily")
            return int(cur.fetchall()[0][0])
        except TrinoUserError:  # no gold schema or table yet
            return 0


@pytest.fixture(scope="session")
def gold_stack(request, stack: Settings) -> Settings:
    """The stack with a built lake.gold: the one it has (as the demo left it), or else this session's
    pass of the demo pipeline (``demo_pipeline`` in tests/conftest.py, which starts from empty data)."""
    if _gold_rows(stack) == 0:
        request.getfixturevalue("demo_pipeline")
        assert _gold_rows(stack) > 0, "the demo pipeline left lake.gold empty"
    return stack


@pytest.fixture(scope="module")
def dashboard_url(gold_stack: Settings, dashboard_artifacts: Path) -> Iterator[str]:
    """A dashboard server of its own (the stack's command, another port) over the real lake.gold."""
    with harness.serve(gold_stack, log_file=dashboard_artifacts / "streamlit.log") as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as p:
        chromium = harness.chromium(p)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, dashboard_artifacts: Path, request) -> Iterator[object]:
    """A fresh browser page (1400 px wide); a screenshot is saved if the test fails."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    yield pg
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        pg.screenshot(path=dashboard_artifacts / f"FAILED-{request.node.name}.png", full_page=True)
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
