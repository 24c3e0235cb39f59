"""``make bench-ingest``: requests used vs the minimum possible, and records/s, against the simulator.

For each scale (default 1 and 10) the benchmark generates the default dataset, serves it with the API
simulator (in its own process, so it does not share the ingest's GIL), and ingests everything (GitHub
and PyPI) into a scratch staging database four times:

* ``backfill``: an empty database;
* ``no-change``: again, nothing new (should be all 304s: zero quota-counted requests);
* ``+1 day``: after :func:`append_activity` added a day (new commits, issues, comments, a release, a
  download day, a version);
* ``+30 days``: after 30 more days at once (a catch-up after an outage).

Then the merge-commit replays (issue 13.1): the generated merge-commit repository (35 days, long-lived
branches, a force-push) and a 45-day slice of pallets/click's real history
(``tests/ingest/data/click-history.jsonl.gz``), ingested day by day as of each day: commit requests
per day against the minimum (``ceil(new/100)``, 0 when the head did not move), commits found against
the dataset's truth, and how many of the new commits a ``since`` bookmark on the committer date (the
old method) would have missed.

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
    "github_pull_review_comments": "review_comments.jsonl",
    "github_releases": "releases.jsonl",
}
CLICK_FIXTURE = REPO_ROOT / "tests" / "ingest" / "data" / "click-history.jsonl.gz"
PYPI_COLLECTIONS = ("pypi_json", "pypistats_overall", "pypistats_python_minor", "pypistats_system")


def _lines(path: Path) -> int:
    return path.read_text().count("\n") if path.exists() else 0


def backfill_minimum(data: Path) -> dict[str, int]:
    """Per collection: the fewest requests that can fetch the whole dataset (100 records a page)."""
    from osspulse.tracked import load_tracked

    tracked = load_tracked(data / "tracked.yml")
    minimum = dict.fromkeys(["github_repos", *GITHUB_FILES, "github_pull_reviews", *PYPI_COLLECTIONS], 0)
    for repo in tracked.repos:
        minimum["github_repos"] += 1
        for collection, name in GITHUB_FILES.items():
            minimum[collection] += max(1, math.ceil(_lines(data / "github" / repo / name) / 100))
        minimum["github_pull_reviews"] += _lines(data / "github" / repo / "pulls.jsonl")  # one per PR
    for _ in tracked.packages:
        for collection in PYPI_COLLECTIONS:
            minimum[collection] += 1
    return minimum


def pr_versions(data: Path) -> set[tuple[str, int, str]]:
    """(repo, number, updated_at) of every PR: a PR whose updated_at moved needs its reviews asked."""
    out = set()
    for path in data.glob("github/*/*/issues.jsonl"):
        repo = f"{path.parent.parent.name}/{path.parent.name}"
        for line in path.read_text().splitlines():
            issue = json.loads(line)
            if "pull_request" in issue:
                out.add((repo, issue["number"], issue["updated_at"]))
    return out


def incremental_minimum(changes: dict[str, dict[str, int]], prs_changed: int = 0) -> dict[str, int]:
    """Per collection: ceil(changed/100) for what :func:`append_activity` changed, 0 where nothing did.

    PR reviews: one request per PR whose ``updated_at`` moved (GitHub lists reviews per PR only).
    pypistats: 3 a package whenever a day was added (it sends no ETag, so it cannot answer 304).
    """
    names = {
        "repos": "github_repos",
        "commits": "github_commits",
        "issues": "github_issues",
        "issue_comments": "github_issue_comments",
        "releases": "github_releases",
    }
    minimum = dict.fromkeys(["github_repos", *GITHUB_FILES, "github_pull_reviews", *PYPI_COLLECTIONS], 0)
    minimum["github_pull_reviews"] = prs_changed
    for target, counts in changes.items():
        if target.startswith("github/"):
            for key, collection in names.items():
                minimum[collection] += math.ceil(counts.get(key, 0) / 100)
        else:
            minimum["pypi_json"] += counts.get("pypi_json", 0)
            for collection in PYPI_COLLECTIONS[1:]:
                minimum[collection] += 1 if counts.get("download_days") else 0
    return minimum


def is_reconciliation(path: str) -> bool:
    """A request of a weekly full listing (releases by page number, issues and comments by creation)."""
    return "sort=created" in path or ("/releases?" in path and "page=" in path)


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
            "--rate-limit",  # the quota is not what is measured here (a token's 5,000/h is)
            "100000000",
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

    def log(self) -> list[dict[str, Any]]:
        return self.http.get("/_sim/log").json()

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
                    before = pr_versions(data)
                    changes = append_activity(data, days=days)
                    moved = len({(r, n) for r, n, _ in pr_versions(data) - before})
                    minimum = incremental_minimum(changes, moved)
                    load_date = load_date + timedelta(days=days)
                elif name == "backfill":
                    minimum = backfill_minimum(data)
                else:  # nothing changed: 304s everywhere, but pypistats (no ETag) is asked again
                    minimum = dict.fromkeys(backfill_minimum(data), 0)
                    for collection in PYPI_COLLECTIONS[1:]:
                        minimum[collection] = totals.get("download_rows", 0) and len(
                            list((data / "pypistats").iterdir())
                        )
                sim.reset()
                log.info("scale %d: %s run", scale, name)
                elapsed, written, unchanged = _run(settings, load_date)
                stats = sim.stats()
                used = {k: v["counted"] for k, v in stats["by_collection"].items()}
                used["github_commits"] = used.get("github_commits", 0) + used.pop("github_compare", 0)
                # the weekly full listings that find deletions are not data changes: counted apart
                reconcile = [e for e in sim.log() if e["status"] != 304 and is_reconciliation(e["path"])]
                for e in reconcile:
                    used[e["collection"]] -= 1
                runs.append(
                    {
                        "scale": scale,
                        "run": name,
                        "rows_written": written,
                        "rows_unchanged": unchanged,
                        "requests": stats["counted"] - len(reconcile),
                        "reconciliation": len(reconcile),
                        "not_modified": stats["not_modified"],
                        "minimum": sum(minimum.values()),
                        "ratio": round((stats["counted"] - len(reconcile)) / sum(minimum.values()), 3)
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


def bench_replays(base: Settings, workdir: Path) -> list[dict[str, Any]]:
    """Day-by-day replays of the merge-commit histories: requests and commits per day vs the truth."""
    from osspulse.tracked import Tracked
    from osspulse_sim.generate import DEFAULT_END_DATE, generate
    from osspulse_sim.gitimport import dataset_from_history
    from osspulse_sim.replay import replay_repo

    generated = workdir / "merge-repo"
    generate(generated, tracked=Tracked(repos=("delta-io/delta",), packages=()))
    click = workdir / "click"
    meta = dataset_from_history(CLICK_FIXTURE, click, "pallets/click")
    cases = [
        ("generated delta-io/delta", generated, "delta-io/delta", DEFAULT_END_DATE - timedelta(days=34), 35),
        ("pallets/click (real)", click, "pallets/click", date.fromisoformat(meta["start"]), 45),
    ]
    out = []
    for name, data, repo, first, days in cases:
        db = f"osspulse_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(base.pg_dsn("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(db)))
        try:
            t0 = time.monotonic()
            r = replay_repo(
                base.model_copy(update={"pg_staging_db": db}), data, repo, first, days, check=False
            )
            elapsed = time.monotonic() - t0
        finally:
            with psycopg.connect(base.pg_dsn("postgres"), autocommit=True) as conn:
                conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(db)))
        daily = slice(1, None)  # day 0 is the backfill
        out.append(
            {
                "history": name,
                "days": days,
                "backfill_requests": r.requests[0],
                "backfill_minimum": r.minimum[0],
                "daily_requests": sum(r.requests[daily]),
                "daily_minimum": sum(r.minimum[daily]),
                "days_head_moved": sum(1 for m in r.minimum[daily] if m),
                "new_commits": sum(r.new[daily]),
                "found": sum(r.found[daily]),
                "missed_by_since_bookmark": sum(r.older[daily]),
                "tombstoned": r.tombstoned,
                "seconds": round(elapsed, 1),
                "per_day": [
                    {"day": d.isoformat(), "requests": q, "minimum": m, "new": n, "found": f, "older": o}
                    for d, q, m, n, f, o in zip(
                        r.days, r.requests, r.minimum, r.new, r.found, r.older, strict=True
                    )
                ],
            }
        )
        log.info("%s", {k: v for k, v in out[-1].items() if k != "per_day"})
    return out


def format_replays(replays: list[dict[str, Any]]) -> str:
    lines = [
        "",
        "merge-commit replays, day by day (commit requests; new commits found vs the dataset's truth):",
        f"  {'history':<26} {'days':>4} {'requests/day':>12} {'minimum/day':>11} {'new':>5} {'found':>5} "
        f"{'since would miss':>16} {'tombstoned':>10}",
    ]
    for r in replays:
        daily_days = r["days"] - 1
        miss = r["missed_by_since_bookmark"]
        share = f"{miss} ({miss / r['new_commits']:.0%})" if r["new_commits"] else "0"
        lines.append(
            f"  {r['history']:<26} {r['days']:>4} {r['daily_requests'] / daily_days:>12.2f} "
            f"{r['daily_minimum'] / daily_days:>11.2f} {r['new_commits']:>5} {r['found']:>5} {share:>16} "
            f"{r['tombstoned']:>10}"
        )
    return "\n".join(lines)


def format_results(results: list[dict[str, Any]]) -> str:
    head = (
        f"{'scale':>5}  {'run':<10} {'rows':>8} {'requests':>8} {'minimum':>7} {'ratio':>6} {'304s':>5} "
        f"{'reconcile':>9} {'seconds':>7} {'rows/s':>7}"
    )
    lines = [head, "-" * len(head)]
    for result in results:
        for r in result["runs"]:
            ratio = f"{r['ratio']:.3f}" if r["ratio"] is not None else "-"
            lines.append(
                f"{r['scale']:>5}  {r['run']:<10} {r['rows_written']:>8} {r['requests']:>8} "
                f"{r['minimum']:>7} {ratio:>6} {r['not_modified']:>5} {r['reconciliation']:>9} "
                f"{r['seconds']:>7.2f} "
                f"{r['rows_per_s']:>7}"
            )
    lines.append("")
    lines.append("requests vs minimum per collection (backfill | no-change | +1 day | +30 days):")
    for result in results:
        by_run = {r["run"]: r["by_collection"] for r in result["runs"]}
        for collection in by_run["backfill"]:
            cells = [
                f"{by_run[run][collection]['requests']}/{by_run[run][collection]['minimum']}"
                for run in ("backfill", "no-change", "+1 day", "+30 days")
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
    parser.add_argument("--no-replays", action="store_true", help="skip the merge-commit replays")
    args = parser.parse_args(argv)
    logs.configure()
    logging.getLogger("osspulse.ingest").setLevel(logging.WARNING)
    base = get_settings()
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        for scale in args.scales:
            results.append(bench_scale(base, scale, Path(tmp)))
        replays = [] if args.no_replays else bench_replays(base, Path(tmp))
    out = REPO_ROOT / "artifacts" / "bench-ingest.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"scales": results, "replays": replays}, indent=2))
    print(format_results(results))
    if replays:
        print(format_replays(replays))
    print(f"\n(details in {out.relative_to(REPO_ROOT)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
