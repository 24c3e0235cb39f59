"""Driving the dashboard from a real browser, for the browser tests and ``make bench-dashboard``.

:func:`serve` starts a private Streamlit server (the stack's own command line and environment, on
another port) so tests and benchmarks never restart or disturb the shared one; :func:`chromium`
launches Debian's Chromium through Playwright (never a downloaded browser); :func:`wait_ready` waits
until a page is interactive: the script run has drawn its last element (the ready marker of
:func:`osspulse.dashboard.context.ready_marker`), Streamlit is idle, no element is still loading its
code (Streamlit's skeleton placeholders) and every Plotly chart the run drew is drawn.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from osspulse.settings import REPO_ROOT, Settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]

#: true when the page's last script run (number > after) is complete and its charts are drawn
READY_JS = """(after) => {
    const app = document.querySelector('[data-testid="stApp"]');
    const marker = document.querySelector('.osspulse-ready');
    if (!app || !marker || app.dataset.testScriptState !== 'notRunning') return false;
    if (Number(marker.dataset.run) <= after) return false;
    // elements whose code loads lazily (tables, charts...) show a skeleton until it has loaded
    if (document.querySelector('[data-testid="stSkeleton"], [data-testid="stSkeletonElement"]')) return false;
    // the run drew data-charts Plotly charts; each must be mounted (its code loads lazily) and drawn
    const charts = document.querySelectorAll('[data-testid="stPlotlyChart"]');
    const drawn = [...charts].filter(c => c.querySelector('.js-plotly-plot .main-svg')).length;
    return drawn === charts.length && drawn >= Number(marker.dataset.charts || 0);
}"""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(settings: Settings, port: int | None = None, log_file: Path | None = None) -> Iterator[str]:
    """A private dashboard server (the stack's command and environment); yields its base URL."""
    from osspulse.settings import reach
    from osspulse.stack.services import Streamlit, http_ok

    port = port or free_port(reach(settings.dashboard_bind_host))
    service = Streamlit(settings.model_copy(update={"streamlit_port": port}))
    out = open(log_file, "wb") if log_file else subprocess.DEVNULL  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        service.command(),
        env=service.env(),
        cwd=REPO_ROOT,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = service.settings.dashboard_url
    try:
        deadline = time.monotonic() + 60
        while not http_ok(f"{url}/_stcore/health")[0]:
            if proc.poll() is not None:
                raise RuntimeError(f"the dashboard server exited with {proc.returncode} (log: {log_file})")
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the dashboard server did not answer on {url} within 60 s (log: {log_file})"
                )
            time.sleep(0.2)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        if log_file:
            out.close()


def chromium(playwright: Any) -> Any:
    """Debian's Chromium, headless (Playwright's own browsers are never installed)."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} not found: install Debian's chromium (`make setup`)")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def current_run(page: Any) -> int:
    """The number of the last complete script run of the page's session (0 before the first)."""
    value = page.evaluate(
        "() => { const m = document.querySelector('.osspulse-ready'); return m ? Number(m.dataset.run) : 0; }"
    )
    return int(value or 0)


def wait_ready(page: Any, after: int = 0, timeout_s: float = 60) -> int:
    """Wait until a script run numbered above ``after`` is complete and drawn; return its number."""
    page.wait_for_function(READY_JS, arg=after, timeout=timeout_s * 1000, polling=50)
    return current_run(page)


def goto(page: Any, url: str, timeout_s: float = 60) -> float:
    """Open ``url`` in ``page`` and wait until it is interactive; the seconds it took."""
    started = time.perf_counter()
    page.goto(url)
    wait_ready(page, 0, timeout_s)
    return time.perf_counter() - started


def screenshot(page: Any, path: Path) -> Path:
    """The whole page (Streamlit scrolls inside its main area, so the viewport is grown to fit it)."""
    size = page.viewport_size or {"width": 1400, "height": 1000}
    height = page.evaluate(
        """() => Math.max(...['[data-testid="stMain"]', '[data-testid="stAppViewContainer"]', 'body']
            .map(s => document.querySelector(s)).filter(Boolean).map(e => e.scrollHeight))"""
    )
    page.set_viewport_size({"width": size["width"], "height": min(max(int(height), size["height"]), 10000)})
    page.wait_for_timeout(300)  # Plotly redraws at the new size
    page.screenshot(path=path)
    page.set_viewport_size(size)
    return path
