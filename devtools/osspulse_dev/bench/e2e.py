"""``make bench-e2e``: wall time from trigger to fresh gold, per stage, through the real Airflow.

Two passes on the demo dataset (the simulator serving a generated dataset, scale 1 by default):

* **backfill**: the pipeline's data starts empty (staging and lake reset), everything is fetched,
  loaded and transformed;
* **incremental day**: the dataset gains one day of activity (``append_activity``) and the pipeline
  runs for the next load date: since-bookmarks, ETags and incremental dbt models do the rest.

Per pass: ingest (both ingest DAG runs), load (the Asset-driven ``load_iceberg`` runs), transform
(the Asset-driven ``transform_dbt`` runs) and the total, plus the peak resident memory of the whole
stack (every service's process tree, which includes the Spark and dbt processes Airflow starts),
sampled every second. Figures are printed and written to ``artifacts/bench-e2e.json``; nothing is
asserted on wall time.

It resets the pipeline's data, so it refuses to run on a stack that reads the real APIs unless
``--force`` is given.
"""

from __future__ import annotations

import argparse
import json
import logging
import threading
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import Any

from osspulse import logs
from osspulse.settings import REPO_ROOT, get_settings, sources_overlay
from osspulse.stack.process import rss_bytes
from osspulse.stack.services import all_services

log = logging.getLogger("bench.e2e")


class PeakMemory:
    """Samples the stack's total RSS (each service's process tree) in a thread; keeps the peak."""

    def __init__(self, settings: Any, interval: float = 1.0) -> None:
        self.services = all_services(settings)
        self.interval = interval
        self.peak = 0
        self.by_service: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="peak-rss", daemon=True)

    def sample(self) -> int:
        rss = {}
        for svc in self.services:
            pid = svc.pid_file.running_pid()
            rss[svc.name] = rss_bytes(pid) if pid else 0
        total = sum(rss.values())
        if total > self.peak:
            self.peak, self.by_service = total, rss
        return total

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> PeakMemory:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def reads_real_apis(s: Any, *, force: bool) -> bool:
    """True (and says why) when the stack reads the real APIs and ``--force`` was not given: a benchmark
    that resets the pipeline's data must not wipe real history."""
    if sources_overlay(s.state_dir).exists() or force:
        return False
    log.error(
        "this stack reads the real APIs (no %s): the benchmark would wipe its staging and lake; "
        "run `osspulse demo` first or pass --force",
        sources_overlay(s.state_dir),
    )
    return True


def run_pass(s: Any, name: str, load_date: Any) -> dict[str, Any]:
    from osspulse import pipeline

    log.info("%s: pipeline for load date %s", name, load_date)
    with PeakMemory(s) as mem:
        times = pipeline.run_pipeline(s, load_date=load_date)
    gold = pipeline.check_gold(s)
    return {
        "pass": name,
        "load_date": load_date.isoformat(),
        **{k: round(v, 1) if isinstance(v, float) else v for k, v in asdict(times).items()},
        "peak_rss_mib": round(mem.peak / 2**20),
        "peak_rss_by_service_mib": {k: round(v / 2**20) for k, v in mem.by_service.items() if v},
        "gold_rows": sum(gold.values()),
    }


def format_results(results: dict[str, Any]) -> str:
    rows = results["passes"]
    lines = [
        f"end to end through Airflow, dataset scale {results['scale']} "
        f"({results['dataset_records']:,} records served)",
        f"{'pass':<18}{'ingest s':>10}{'load s':>10}{'transform s':>13}{'total s':>10}{'peak RSS MiB':>14}",
    ]
    for r in rows:
        lines.append(
            f"{r['pass']:<18}{r['ingest_s']:>10.0f}{r['load_s']:>10.0f}{r['transform_s']:>13.0f}"
            f"{r['total_s']:>10.0f}{r['peak_rss_mib']:>14,}"
        )
    if len(rows) == 2 and rows[0]["total_s"]:
        lines.append(f"incremental day / backfill wall time: {rows[1]['total_s'] / rows[0]['total_s']:.2f}")
    top = sorted(max(rows, key=lambda r: r["peak_rss_mib"])["peak_rss_by_service_mib"].items(),
                 key=lambda kv: -kv[1])[:4]  # fmt: skip
    lines.append("at the peak: " + ", ".join(f"{k} {v:,} MiB" for k, v in top))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=int, default=1, help="size of the generated dataset")
    parser.add_argument("--force", action="store_true", help="reset the pipeline's data even on real APIs")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "artifacts" / "bench-e2e.json")
    args = parser.parse_args(argv)
    logs.configure()

    from osspulse import pipeline
    from osspulse.stack import runner
    from osspulse_sim import demo
    from osspulse_sim.generate import append_activity, dataset_end_date, generate

    s = get_settings()
    if reads_real_apis(s, force=args.force):
        return 2
    data = s.state_dir / "bench-e2e-data"
    log.info("generating the dataset (scale %d) in %s", args.scale, data)
    totals = generate(data, scale=args.scale)
    s = demo.use_simulator(s, data)
    runner.up(s)
    log.info("resetting the pipeline's data (staging, lake.raw/bronze/silver/gold)")
    pipeline.reset_pipeline_data(s, force=True)  # checked above: a demo stack or --force
    end = dataset_end_date(data)
    passes = [run_pass(s, "backfill", end)]
    append_activity(data, days=1)
    passes.append(run_pass(s, "incremental day", end + timedelta(days=1)))
    results = {
        "scale": args.scale,
        "dataset_records": sum(v for v in totals.values() if isinstance(v, int)),
        "passes": passes,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(format_results(results))
    log.info("figures written to %s; the stack keeps serving the benchmark dataset", args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
