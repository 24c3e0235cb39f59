"""``make bench-scaling``: the cost of one daily run for 1, 10 and 100 tracked repositories.

For each size N the benchmark generates a dataset of N repositories (``scaling/repo-NNN``, each with the
generator's usual 420 days of history: commits with merge commits, issues and pull requests, comments,
reviews, releases) and one package, serves it with the stack's API simulator, backfills it through the
real Airflow pipeline, adds one day of activity (``append_activity``) and runs the daily pipeline for
that day. The daily run is what is measured:

* **requests**: answered by the simulator during the daily run (and how many were 304s, free of quota);
* **rows**: rows the load wrote into ``lake.raw`` for that load date (``lake.ops.load_audit``), against
  the rows of history the lake holds;
* **wall time per stage**: ingest, load, transform, total (trigger -> fresh gold).

A cost that grows with the new data rather than with the history shows as requests and rows that scale
with N (N times the activity of a day) and stage times whose fixed part (a Spark application, one dbt
build) dominates at small N. The backfill's figures are printed beside it for scale. The simulator's
primary rate limit is lifted (a token's 5,000/h is not what is measured; 100 repositories' backfill
needs more); pypistats stays at one package, since its 30 requests/min per IP bound any package count
(3 requests per package per day).

It resets the pipeline's data, so it refuses to run on a stack that reads the real APIs unless
``--force`` is given. Figures are printed and written to ``artifacts/bench-scaling.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from osspulse import logs
from osspulse.settings import REPO_ROOT, Settings, get_settings
from osspulse.tracked import Tracked
from osspulse_dev.bench.e2e import reads_real_apis

log = logging.getLogger("bench.scaling")

PACKAGE = "scaling-pkg"


def tracked_set(repos: int) -> Tracked:
    return Tracked(repos=tuple(f"scaling/repo-{i:03d}" for i in range(1, repos + 1)), packages=(PACKAGE,))


def _simulator(s: Settings) -> httpx.Client:
    return httpx.Client(base_url=f"http://{s.bind_host}:{s.fake_api_port}", timeout=30)


def _loaded_rows(s: Settings, load_date: Any) -> tuple[int, int]:
    """(rows written into raw for ``load_date``, rows raw holds in all) from ``lake.ops.load_audit``."""
    from osspulse.lake import trino

    with trino.connect(s) as conn:  # the ETL role reads lake.ops
        cur = conn.cursor()
        cur.execute(
            "select coalesce(sum(case when window_start = ? then rows_written end), 0),"
            " coalesce(sum(rows_written), 0) from ops.load_audit where namespace = 'raw'",
            [load_date],
        )
        day, total = cur.fetchone()
    return int(day), int(total)


def bench_size(s: Settings, repos: int, workdir: Path) -> dict[str, Any]:
    from osspulse import pipeline
    from osspulse.stack import runner
    from osspulse_sim import demo
    from osspulse_sim.generate import append_activity, dataset_end_date, generate

    data = workdir / f"repos{repos}"
    log.info("%d repositories: generating the dataset in %s", repos, data)
    generate(data, tracked=tracked_set(repos))
    s = demo.use_simulator(s, data)
    runner.up(s)  # restarts the simulator on the new dataset
    with _simulator(s) as sim:
        sim.post("/_sim/settings", json={"rate_limit": 100_000_000}).raise_for_status()
    pipeline.reset_pipeline_data(s, force=True)  # checked by main(): a demo stack or --force
    end = dataset_end_date(data)
    with _simulator(s) as sim:
        sim.post("/_sim/reset").raise_for_status()
        backfill = pipeline.run_pipeline(s, load_date=end)
        backfill_requests = sim.get("/_sim/stats").json()
        append_activity(data, days=1)
        sim.post("/_sim/preload").raise_for_status()  # the new day's files, read before the clock starts
        sim.post("/_sim/reset").raise_for_status()
        daily = pipeline.run_pipeline(s, load_date=end + timedelta(days=1))
        daily_requests = sim.get("/_sim/stats").json()
    daily_rows, history_rows = _loaded_rows(s, end + timedelta(days=1))
    backfill_rows, _ = _loaded_rows(s, end)
    return {
        "repos": repos,
        "packages": 1,
        "history_rows": history_rows,
        "backfill": {**asdict(backfill), "requests": backfill_requests["requests"], "rows": backfill_rows},
        "daily": {
            **asdict(daily),
            "requests": daily_requests["requests"],
            "not_modified": daily_requests["not_modified"],
            "rows": daily_rows,
        },
    }


def format_results(results: list[dict[str, Any]]) -> str:
    head = (
        f"{'repos':>6}{'history rows':>14}{'requests':>10}{'304s':>7}{'rows':>8}"
        f"{'ingest s':>10}{'load s':>8}{'transform s':>13}{'total s':>9}{'backfill s':>12}"
    )
    lines = ["the daily run (one new day) by size of the tracked set, through Airflow", head]
    for r in results:
        d = r["daily"]
        lines.append(
            f"{r['repos']:>6}{r['history_rows']:>14,}{d['requests']:>10,}{d['not_modified']:>7,}"
            f"{d['rows']:>8,}{d['ingest_s']:>10.0f}{d['load_s']:>8.0f}{d['transform_s']:>13.0f}"
            f"{d['total_s']:>9.0f}{r['backfill']['total_s']:>12.0f}"
        )
    if len(results) > 1:
        first, last = results[0], results[-1]
        lines.append(
            f"{last['repos'] / first['repos']:.0f}x the repositories: daily requests "
            f"{last['daily']['requests'] / max(1, first['daily']['requests']):.1f}x, rows "
            f"{last['daily']['rows'] / max(1, first['daily']['rows']):.1f}x, wall "
            f"{last['daily']['total_s'] / max(1e-9, first['daily']['total_s']):.2f}x; history "
            f"{last['history_rows'] / max(1, first['history_rows']):.1f}x"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repos", default="1,10,100", help="comma-separated sizes of the tracked set")
    parser.add_argument("--force", action="store_true", help="reset the pipeline's data even on real APIs")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "artifacts" / "bench-scaling.json")
    args = parser.parse_args(argv)
    logs.configure()
    s = get_settings()
    if reads_real_apis(s, force=args.force):
        return 2
    sizes = [int(n) for n in args.repos.split(",") if n.strip()]
    results = []
    for n in sizes:
        results.append(bench_size(s, n, s.state_dir / "bench-scaling-data"))
        print(format_results(results), flush=True)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    log.info("figures written to %s; the stack keeps serving the last dataset", args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
