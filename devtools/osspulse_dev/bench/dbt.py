"""``make bench-dbt``: full refresh vs incremental dbt build after one new day, at two sizes.

Sizes (``--sizes``): ``year`` -- 20 repositories and 20 packages, a year of history (sample_data scale
10); ``large`` -- 50 repositories x 5 years of history and 50 packages (~1.4M commits, ~6M raw rows
with every version). For each size, in scratch schemas ``lake.b<id>_raw|bronze|silver|gold``
(dropped at the end unless --keep):

1. write the synthetic raw history (:mod:`osspulse_dev.sample_data`) for load days 0..days-1;
2. ``dbt run --full-refresh`` (seeds first, untimed) -- the full build;
3. add one load day, ``dbt run`` -- the incremental build after one new day (the first after a full
   refresh);
4. add another load day, ``dbt run`` again -- the steady state of a daily pipeline.

For each build: wall time, and from Trino's query statistics (every query dbt sends carries the run's
client tag) the number of queries, rows read from tables (``rawInputPositions``), bytes read and CPU
time, in total and per model. Prints the figures, the incremental / full ratios (goal: at most 25 %
in wall time and rows read) and the per-model table, and writes them to ``artifacts/bench-dbt.json``.
Nothing is asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import re
import shutil
import sys
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from osspulse import logs
from osspulse.settings import REPO_ROOT, Settings, get_settings

log = logging.getLogger("bench.dbt")

_NODE_RE = re.compile(r'"node_id": "[a-z_]+\.[a-z_]+\.([A-Za-z0-9_]+)"')
_SIZE_UNITS = {"B": 1, "kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12, "PB": 1e15}
_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_size(value: str) -> float:
    """Bytes of a Trino DataSize string such as ``12.5MB``."""
    match = re.fullmatch(r"([0-9.]+)\s*([A-Za-z]+)", value.strip())
    if not match:
        raise ValueError(f"not a data size: {value!r}")
    return float(match.group(1)) * _SIZE_UNITS[match.group(2)]


def parse_duration(value: str) -> float:
    """Seconds of a Trino Duration string such as ``1.50s`` or ``250.00ms``."""
    match = re.fullmatch(r"([0-9.]+)\s*([a-z]+)", value.strip())
    if not match:
        raise ValueError(f"not a duration: {value!r}")
    return float(match.group(1)) * _DURATION_UNITS[match.group(2)]


@dataclass
class BuildFigures:
    name: str
    wall_s: float = 0.0
    queries: int = 0
    rows_read: int = 0
    bytes_read: float = 0.0
    cpu_s: float = 0.0
    ok: bool = True
    #: per dbt node (model, seed; "-" for dbt's own catalog queries): queries, rows read, query seconds
    per_node: dict[str, list[float]] = field(default_factory=dict)


@dataclass
class QueryCollector:
    """Polls Trino's query list and keeps the latest statistics of every query carrying ``tag``."""

    settings: Settings
    tag: str
    interval_s: float = 2.0
    queries: dict[str, dict] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def _poll(self) -> None:
        from osspulse.lake.trino import http_session

        with http_session(self.settings) as session:  # logged in as etl: dbt's queries are etl's own
            response = session.get(f"{self.settings.trino_url}/v1/query", timeout=30)
            response.raise_for_status()
            for info in response.json():
                if self.tag in (info.get("session", {}).get("clientTags") or []):
                    self.queries[info["queryId"]] = info

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self._poll()
            except OSError as exc:  # keep polling; the final poll reports a persistent failure
                log.debug("query poll failed: %s", exc)

    def __enter__(self) -> QueryCollector:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()
        # finished queries stay listed for at least 15 minutes (query.min-expire-age): one last look
        deadline = time.monotonic() + 30
        while True:
            self._poll()
            if all(q.get("state") in ("FINISHED", "FAILED") for q in self.queries.values()):
                break
            if time.monotonic() > deadline:
                break
            time.sleep(1)

    def figures(self, name: str, wall_s: float, ok: bool) -> BuildFigures:
        fig = BuildFigures(name, wall_s=round(wall_s, 1), ok=ok)
        for info in self.queries.values():
            stats = info.get("queryStats", {})
            rows = int(stats.get("rawInputPositions", 0))
            fig.queries += 1
            fig.rows_read += rows
            fig.bytes_read += parse_size(stats.get("rawInputDataSize", "0B"))
            fig.cpu_s += parse_duration(stats.get("totalCpuTime", "0s"))
            match = _NODE_RE.search(info.get("query", ""))
            node = fig.per_node.setdefault(match.group(1) if match else "-", [0, 0, 0.0])
            node[0] += 1
            node[1] += rows
            node[2] = round(node[2] + parse_duration(stats.get("elapsedTime", "0s")), 2)
        fig.cpu_s = round(fig.cpu_s, 1)
        fig.per_node = dict(sorted(fig.per_node.items(), key=lambda item: -item[1][1]))
        return fig


def _timed_build(settings: Settings, target, name: str, args: list[str]) -> BuildFigures:
    from dataclasses import replace

    from osspulse.transform.dbt import run_dbt

    tag = f"bench-{name}-{uuid.uuid4().hex[:8]}"
    with QueryCollector(settings, tag) as collector:
        result = run_dbt(settings, args, replace(target, run_tag=tag), capture=True)
    if not result.ok:
        log.error("dbt %s failed:\n%s", " ".join(args), "\n".join(result.output.splitlines()[-30:]))
    fig = collector.figures(name, result.seconds, result.ok)
    log.info("%s: %s", name, fig)
    return fig


@dataclass(frozen=True)
class Size:
    name: str
    repos: int
    packages: int
    days: int


SIZES = {
    "year": Size("year", 20, 20, 365),
    "large": Size("large", 50, 50, 5 * 365),
}


def run(settings: Settings, *, size: Size, start: dt.date, keep: bool, threads: int) -> dict:
    from osspulse.tracked import Tracked
    from osspulse.transform.dbt import LAYERS, DbtTarget, run_dbt
    from osspulse_dev import sample_data

    days = size.days

    run_id = uuid.uuid4().hex[:6]
    prefix = f"b{run_id}_"
    raw = f"{prefix}raw"
    workdir = REPO_ROOT / ".osspulse" / "bench-dbt" / run_id
    workdir.mkdir(parents=True, exist_ok=True)
    tracked_file = workdir / "tracked.yml"
    import yaml

    tracked: Tracked = sample_data.tracked_for(1, repos=size.repos, packages=size.packages)
    tracked_file.write_text(yaml.safe_dump(tracked.to_dict()), encoding="utf-8")
    bench_settings = settings.model_copy(update={"tracked": tracked_file})
    target = DbtTarget(schema_prefix=prefix, raw_schema=raw, workdir=workdir, threads=threads)
    report: dict = {
        "size": size.name,
        "repos": size.repos,
        "packages": size.packages,
        "days": days,
        "start": start.isoformat(),
        "prefix": prefix,
        "threads": threads,
        "builds": [],
    }
    try:
        t0 = time.perf_counter()
        rows = sample_data.generate(
            settings, schema=raw, start=start, days=days, repos=size.repos, packages=size.packages
        )
        report["raw_rows"] = rows
        report["generate_s"] = round(time.perf_counter() - t0, 1)
        log.info("raw history: %s rows in %.0fs", sum(rows.values()), report["generate_s"])
        run_dbt(bench_settings, ["seed"], target, capture=True, check=True)

        builds = [_timed_build(bench_settings, target, "full_refresh", ["run", "--full-refresh"])]
        for extra_day in (1, 2):
            added = sample_data.generate(
                settings,
                schema=raw,
                start=start,
                days=days + extra_day,
                repos=size.repos,
                packages=size.packages,
                first_load_day=days + extra_day - 1,
            )
            report[f"day_{days + extra_day - 1}_rows"] = added
            name = "incremental_first" if extra_day == 1 else "incremental_steady"
            builds.append(_timed_build(bench_settings, target, name, ["run"]))
        report["builds"] = [asdict(b) for b in builds]
        full = builds[0]
        report["ratios"] = {
            b.name: {
                "wall": round(b.wall_s / full.wall_s, 3) if full.wall_s else None,
                "rows_read": round(b.rows_read / full.rows_read, 3) if full.rows_read else None,
                "cpu": round(b.cpu_s / full.cpu_s, 3) if full.cpu_s else None,
            }
            for b in builds[1:]
        }
    finally:
        if not keep:
            sample_data.drop_schemas(settings, [raw, *(target.schema(layer) for layer in LAYERS)])
            shutil.rmtree(workdir, ignore_errors=True)
    return report


def format_report(report: dict) -> str:
    lines = [
        f"dbt benchmark, size {report['size']}: {report['repos']} repositories and {report['packages']} "
        f"packages, {report['days']} days of history from {report['start']}, "
        f"{sum(report.get('raw_rows', {}).values()):,} raw rows, {report['threads']} dbt threads",
        f"{'build':<20} {'wall s':>8} {'queries':>8} {'rows read':>12} {'MB read':>9} {'cpu s':>7}",
    ]
    for b in report["builds"]:
        lines.append(
            f"{b['name']:<20} {b['wall_s']:>8.1f} {b['queries']:>8} {b['rows_read']:>12,} "
            f"{b['bytes_read'] / 1e6:>9.1f} {b['cpu_s']:>7.1f}{'' if b['ok'] else '  FAILED'}"
        )

    def pct(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.0%}"

    for name, ratio in report.get("ratios", {}).items():
        lines.append(
            f"{name} / full_refresh: wall {pct(ratio['wall'])}, rows read {pct(ratio['rows_read'])}, "
            f"cpu {pct(ratio['cpu'])} (goal <= 25 % in wall time and rows read)"
        )
    builds = {b["name"]: b for b in report["builds"]}
    if "full_refresh" in builds and "incremental_steady" in builds:
        full, steady = builds["full_refresh"]["per_node"], builds["incremental_steady"]["per_node"]
        lines.append("per model: rows read and query seconds, full refresh vs steady incremental day")
        lines.append(f"{'model':<34} {'full rows':>12} {'full s':>8} {'incr rows':>12} {'incr s':>8}")
        for node in sorted(set(full) | set(steady), key=lambda n: -full.get(n, [0, 0, 0])[1]):
            f, i = full.get(node, [0, 0, 0.0]), steady.get(node, [0, 0, 0.0])
            lines.append(f"{node:<34} {f[1]:>12,} {f[2]:>8.1f} {i[1]:>12,} {i[2]:>8.1f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="year,large", help=f"comma-separated, of {', '.join(SIZES)}")
    parser.add_argument("--start", default="2021-01-01", help="first day of the history")
    parser.add_argument("--threads", type=int, default=2, help="dbt threads")
    parser.add_argument("--keep", action="store_true", help="keep the scratch schemas")
    parser.add_argument("--out", default=str(REPO_ROOT / "artifacts" / "bench-dbt.json"))
    args = parser.parse_args(argv)
    logs.configure(logging.INFO)
    reports = []
    for name in args.sizes.split(","):
        report = run(
            get_settings(),
            size=SIZES[name],
            start=dt.date.fromisoformat(args.start),
            keep=args.keep,
            threads=args.threads,
        )
        reports.append(report)
        sys.stdout.write(format_report(report) + "\n\n")
        sys.stdout.flush()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(reports, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
