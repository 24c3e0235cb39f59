"""``make bench-ingest``: requests used vs the minimum possible, and records/s, against the simulator.

For each scale (default 1 and 10) the benchmark generates the default dataset, serves it with the API
simulator (in its own process, so it does not share the ingest's GIL), and ingests everything (GitHub
and PyPI) into a scratch staging database four times:

* ``backfill``: an empty database;
* ``no-change``: again, nothing new (should be all 304s: zero quota-counted requests);
* ``+1 day``: after :func:`append_activity` added a day (new commits, issues, comments, a release, a
  download day, a version);
* ``+30 days``: after 30 more days at once (a catch-up after an outage).

The minimum possible is ``ceil(records/100)`` per collection and run (at least one request for a
collection that is fetched at all; one per single-object endpoint; zero when nothing changed, since
304s are free). Records/s is staging rows written per second of wall time, the simulator answering
locally, so it measures the ingest's own cost (HTTP client, parsing, upserts), not GitHub's latency.
pypistats' 30 requests/min limit is lifted here: four runs back to back make 48 pypistats requests in
seconds, and the limiter (unit-tested) would otherwise add a minute of sleep that says nothing.

It prints figures and ratios and writes ``artifacts/bench-ingest.json``. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg import sql

from osspulse import logs
from osspulse.settings import REPO_ROOT, Settings, get_settings

log = logging.getLogger("bench.ingest")

GITHUB_FILES = {
    "github_commits": "commits.jsonl",
    "github_issues": "issues.jsonl",
    "github_issue_comments": "comments.jsonl",
    "github_releases": "releases.jsonl",
}
PYPI_COLLECTIONS = ("pypi_json", "pypistats_overall", "pypistats_python_minor", "pypistats_system")


def _lines(path: Path) -> int:
    return path.read_text().count("\n") if path.exists() else 0


def backfill_minimum(data: Path) -> dict[str, int]:
    """Per collection: the fewest requests that can fetch the whole dataset (100 records a page)."""
    from osspulse.tracked import load_tracked

    tracked = load_tracked(data / "tracked.yml")
    minimum = dict.fromkeys(["github_repos", *GITHUB_FILES, *PYPI_COLLECTIONS], 0)
    for repo in tracked.repos:
        minimum["github_repos"] += 1
        for collection, name in GITHUB_FILES.items():
            minimum[collection] += max(1, math.ceil(_lines(data / "github" / repo / name) / 100))
    for _ in tracked.packages:
        for collection in PYPI_COLLECTIONS:
            minimum[collection] += 1
    return minimum


def incremental_minimum(changes: dict[str, dict[str, int]]) -> dict[str, int]:
    """Per collection: ceil(changed/100) for what :func:`append_activity` changed, 0 where nothing did."""
    names = {
        "repos": "github_repos",
        "commits": "github_commits",
        "issues": "github_issues",
        "issue_comments": "github_issue_comments",
        "releases": "github_releases",
    }
    minimum = dict.fromkeys(["github_repos", *GITHUB_FILES, *PYPI_COLLECTIONS], 0)
    for target, counts in changes.items():
        if target.startswith("github/"):
            for key, collection in names.items():
                minimum[collection] += math.ceil(counts.get(key, 0) / 100)
        else:
            minimum["pypi_json"] += counts.get("pypi_json", 0)
            for collection in PYPI_COLLECTIONS[1:]:
                minimum[collection] += 1 if counts.get("download_days") else 0
    return minimum


def _run(settings: Settings, load_date: date) -> tuple[float, int, int]:
    from osspulse.ingest.github import ingest_github
    from osspulse.ingest.pypi import ingest_pypi

    t0 = time.monotonic()
    reports = ingest_github(settings, None, load_date) + ingest_pypi(settings, None, load_date)
    elapsed = time.monotonic() - t0
    written = sum(r.rows_upserted for r in reports)
    unchanged = sum(r.rows_unchanged for r in reports)
    return elapsed, written, unchanged


class SimulatorProcess:
    """``osspulse fake-api serve`` in its own process (so it does not share the ingest's GIL)."""

    def __init__(self, data: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        cmd = [
            sys.executable,
            "-m",
            "osspulse.cli",
            "fake-api",
            "serve",
            "--data",
            str(data),
            "--port",
            str(port),
        ]
        self.proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
        self.http = httpx.Client(base_url=self.url, timeout=30)
        deadline = time.monotonic() + 30
        while True:
            try:
                self.http.get("/_sim/stats")
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError(f"the simulator did not start: {' '.join(cmd)}") from None
                time.sleep(0.1)

    def stats(self) -> dict[str, Any]:
        return self.http.get("/_sim/stats").json()

    def reset(self) -> None:
        self.http.post("/_sim/preload")  # re-read changed files before the clock starts
        self.http.post("/_sim/reset")

    def __enter__(self) -> SimulatorProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()
        self.proc.terminate()
        self.proc.wait(timeout=10)


def bench_scale(base: Settings, scale: int, workdir: Path) -> dict[str, Any]:
    from osspulse_sim.generate import append_activity, dataset_end_date, generate

    data = workdir / f"scale{scale}"
    t0 = time.monotonic()
    totals = generate(data, scale=scale)
    generate_s = time.monotonic() - t0
    end = dataset_end_date(data)
    db = f"osspulse_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base.pg_dsn("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(db)))
    runs = []
    try:
        with SimulatorProcess(data) as sim:
            urls = {"github_api_url": sim.url, "pypistats_url": sim.url, "pypi_url": sim.url}
            settings = base.model_copy(
                update={
                    **urls,
                    "pg_staging_db": db,
                    "tracked": data / "tracked.yml",
                    "pypistats_requests_per_minute": 100_000,
                }
            )
            plan: list[tuple[str, int]] = [("backfill", 0), ("no-change", 0), ("+1 day", 1), ("+30 days", 30)]
            load_date = end
            for name, days in plan:
                if days:
                    changes = append_activity(data, days=days)
                    minimum = incremental_minimum(changes)
                    load_date = load_date + timedelta(days=days)
                elif name == "backfill":
                    minimum = backfill_minimum(data)
                else:
                    minimum = dict.fromkeys(backfill_minimum(data), 0)
                sim.reset()
                log.info("scale %d: %s run", scale, name)
                elapsed, written, unchanged = _run(settings, load_date)
                stats = sim.stats()
                used = {k: v["counted"] for k, v in stats["by_collection"].items()}
                runs.append(
                    {
                        "scale": scale,
                        "run": name,
                        "rows_written": written,
                        "rows_unchanged": unchanged,
                        "requests": stats["counted"],
                        "not_modified": stats["not_modified"],
                        "minimum": sum(minimum.values()),
                        "ratio": round(stats["counted"] / sum(minimum.values()), 3)
                        if sum(minimum.values())
                        else None,
                        "seconds": round(elapsed, 2),
                        "rows_per_s": round(written / elapsed) if written else 0,
                        "by_collection": {
                            c: {"requests": used.get(c, 0), "minimum": minimum.get(c, 0)} for c in minimum
                        },
                    }
                )
                log.info("%s", {k: v for k, v in runs[-1].items() if k != "by_collection"})
    finally:
        with psycopg.connect(base.pg_dsn("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(db)))
    return {"scale": scale, "dataset": totals, "generate_s": round(generate_s, 2), "runs": runs}


def format_results(results: list[dict[str, Any]]) -> str:
    head = (
        f"{'scale':>5}  {'run':<10} {'rows':>8} {'requests':>8} {'minimum':>7} {'ratio':>6} {'304s':>5} "
        f"{'seconds':>7} {'rows/s':>7}"
    )
    lines = [head, "-" * len(head)]
    for result in results:
        for r in result["runs"]:
            ratio = f"{r['ratio']:.3f}" if r["ratio"] is not None else "-"
            lines.append(
                f"{r['scale']:>5}  {r['run']:<10} {r['rows_written']:>8} {r['requests']:>8} "
                f"{r['minimum']:>7} {ratio:>6} {r['not_modified']:>5} {r['seconds']:>7.2f} "
                f"{r['rows_per_s']:>7}"
            )
    lines.append("")
    lines.append("requests vs minimum per collection (backfill | +1 day | +30 days):")
    for result in results:
        by_run = {r["run"]: r["by_collection"] for r in result["runs"]}
        for collection in by_run["backfill"]:
            cells = [
                f"{by_run[run][collection]['requests']}/{by_run[run][collection]['minimum']}"
                for run in ("backfill", "+1 day", "+30 days")
            ]
            lines.append(
                f"  scale {result['scale']:>2} {collection:<24} " + "  ".join(f"{c:>9}" for c in cells)
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10])
    args = parser.parse_args(argv)
    logs.configure()
    logging.getLogger("osspulse.ingest").setLevel(logging.WARNING)
    base = get_settings()
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        for scale in args.scales:
            results.append(bench_scale(base, scale, Path(tmp)))
    out = REPO_ROOT / "artifacts" / "bench-ingest.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(format_results(results))
    print(f"\n(details in {out.relative_to(REPO_ROOT)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
