"""``make bench-stack``: setup time (cached re-run, and fresh with --fresh), cache disk use, stack
start-up time to all-healthy, and idle resident memory per service.

Targets (issue): all healthy in under 2 minutes, total idle RSS under 6 GiB. Figures are printed,
never asserted: wall time depends on the machine.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from osspulse import logs
from osspulse.settings import REPO_ROOT, get_settings
from osspulse.stack import runner

log = logging.getLogger("bench.stack")


def du_bytes(path: Path) -> int:
    out = subprocess.run(["du", "-sb", str(path)], capture_output=True, text=True, check=False).stdout
    return int(out.split()[0]) if out else 0


def time_setup(cache_dir: Path | None = None) -> float:
    env = {**os.environ}
    if cache_dir:
        env["OSSPULSE_CACHE_DIR"] = str(cache_dir)
    t0 = time.monotonic()
    subprocess.run(["python3", "-m", "osspulse.install"], cwd=REPO_ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    return time.monotonic() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fresh", action="store_true", help="also time setup into an empty cache (slow)")
    parser.add_argument("--settle", type=float, default=45.0, help="seconds idle before measuring RSS")
    args = parser.parse_args(argv)
    logs.configure()
    s = get_settings()
    figures: dict[str, object] = {}
    if args.fresh:
        with tempfile.TemporaryDirectory(prefix="osspulse-fresh-cache-") as tmp:
            log.info("timing setup into an empty cache %s (downloads and builds everything)", tmp)
            figures["setup_fresh_s"] = round(time_setup(Path(tmp)), 1)
            figures["cache_fresh_bytes"] = du_bytes(Path(tmp))
    log.info("timing a cached setup re-run")
    figures["setup_cached_s"] = round(time_setup(), 1)
    figures["cache_bytes"] = du_bytes(s.cache_dir)
    figures["cache_parts_mib"] = {
        p.name: round(du_bytes(p) / 2**20) for p in sorted(s.cache_dir.iterdir()) if p.is_dir()
    }
    log.info("stopping the stack to time a cold start")
    runner.down(s)
    t0 = time.monotonic()
    phases = runner.up(s)
    figures["stack_up_s"] = round(time.monotonic() - t0, 1)
    figures["stack_up_phases_s"] = {k: round(v, 1) for k, v in phases.items()}
    log.info("up again (idempotent, all running)")
    t0 = time.monotonic()
    runner.up(s)
    figures["stack_up_again_s"] = round(time.monotonic() - t0, 1)
    log.info("letting the stack settle %.0fs before measuring idle memory", args.settle)
    time.sleep(args.settle)
    rows = runner.status(s)
    figures["idle_rss_mib"] = {r.name: round(r.rss_mib) for r in rows}
    total = sum(r.rss_mib for r in rows)
    figures["idle_rss_total_mib"] = round(total)
    print(json.dumps(figures, indent=2))
    up_s = figures["stack_up_s"]
    print(
        f"\nstack up (cold): {up_s} s  (target < 120 s, ratio {up_s / 120:.2f})"
        f"\nidle RSS total: {total / 1024:.2f} GiB (target < 6 GiB, ratio {total / 1024 / 6:.2f})"
        f"\nsetup re-run: {figures['setup_cached_s']} s; cache {figures['cache_bytes'] / 2**30:.2f} GiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
