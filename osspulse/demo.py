"""``osspulse demo``: the whole pipeline end to end on simulator data, through the real Airflow.

1. a dataset: ``--data DIR`` (any directory in the simulator's format, e.g. recorded real data), or a
   generated one in ``<state>/demo-data``;
2. ``<state>/sources.env`` points every part of the stack (Airflow tasks included) at the simulator
   serving that dataset and at ``DIR/tracked.yml``;
3. the stack comes up (with the simulator); the DAGs are unpaused; ``ingest_github`` and
   ``ingest_pypi`` are triggered through the Airflow REST API;
4. it waits for the Asset-driven ``load_iceberg`` and ``transform_dbt`` runs, checks that every gold
   table has rows, and prints the URLs, logins and a summary of what loaded.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psycopg

from osspulse.entities import ENTITIES
from osspulse.settings import Settings, get_settings, sources_overlay

log = logging.getLogger("osspulse.demo")

PIPELINE_DAGS = ("ingest_github", "ingest_pypi", "load_iceberg", "transform_dbt", "maintain_lakehouse")
GOLD_TABLES = (
    "repo_activity_daily",
    "repo_activity_weekly",
    "repo_activity_monthly",
    "top_contributors",
    "issue_responsiveness_monthly",
    "contributor_absence_factor",
    "repo_snapshot_history",
    "package_downloads_daily",
    "package_downloads_monthly",
    "python_version_adoption_monthly",
    "os_share_monthly",
    "release_cadence",
    "project_comparison_monthly",
)


class DemoError(RuntimeError):
    pass


@dataclass
class StageTimes:
    """Wall time of each stage of one pipeline pass (trigger -> fresh gold)."""

    ingest_s: float = 0.0
    load_s: float = 0.0
    transform_s: float = 0.0
    total_s: float = 0.0
    runs: dict[str, int] = field(default_factory=dict)


def use_simulator(s: Settings, data_dir: Path) -> Settings:
    """Write ``<state>/sources.env`` so the whole stack reads the simulator serving ``data_dir``."""
    data_dir = data_dir.resolve()
    tracked = data_dir / "tracked.yml"
    if not tracked.exists():
        raise DemoError(f"{data_dir} has no tracked.yml: it is not a dataset in the simulator's format")
    url = f"http://{s.bind_host}:{s.fake_api_port}"
    overlay = sources_overlay(s.state_dir)
    overlay.parent.mkdir(parents=True, exist_ok=True)
    overlay.write_text(
        "# Written by `osspulse demo`: the stack reads GitHub, pypistats and PyPI from the API simulator.\n"
        "# Delete this file (or run `osspulse demo --real-apis`) to use the real APIs again.\n"
        f"OSSPULSE_GITHUB_API_URL={url}\nOSSPULSE_PYPISTATS_URL={url}\nOSSPULSE_PYPI_URL={url}\n"
        f"OSSPULSE_TRACKED={tracked}\nOSSPULSE_FAKE_API_DATA={data_dir}\n"
    )
    get_settings.cache_clear()
    log.info("the stack now reads the API simulator at %s over %s (%s)", url, data_dir, overlay)
    return get_settings()


def use_real_apis(s: Settings) -> None:
    overlay = sources_overlay(s.state_dir)
    overlay.unlink(missing_ok=True)
    get_settings.cache_clear()
    log.info("removed %s: the stack reads the real GitHub and PyPI APIs", overlay)


def ensure_dataset(s: Settings, data: Path | None, scale: int) -> Path:
    if data is not None:
        if not data.is_dir():
            raise DemoError(f"--data {data}: no such directory")
        return data
    target = s.state_dir / "demo-data"
    if not (target / "tracked.yml").exists():
        from osspulse.fakeapi.generate import generate

        log.info("generating the demo dataset (scale %d) in %s", scale, target)
        generate(target, scale=scale)
    return target


def run_pipeline(s: Settings, *, load_date: date | None = None, timeout: float = 2400.0) -> StageTimes:
    """Trigger both ingests and wait for the Asset-driven load and transform; returns stage times."""
    from osspulse.orchestration.airflow_api import AirflowClient

    times = StageTimes()
    conf = {"load_date": load_date.isoformat()} if load_date else {}
    with AirflowClient(s) as api:
        api.wait_for_dags(list(PIPELINE_DAGS))
        for dag_id in PIPELINE_DAGS:
            api.unpause(dag_id)
        t0 = time.monotonic()
        since = datetime.now(UTC)
        runs = [api.trigger("ingest_github", conf), api.trigger("ingest_pypi", conf)]
        for run in runs:
            api.wait(run.dag_id, run.run_id, timeout=timeout)
        times.ingest_s = time.monotonic() - t0
        log.info("ingest done in %.0fs; waiting for load_iceberg (Asset-driven)", times.ingest_s)
        t1 = time.monotonic()
        loads = api.wait_settled("load_iceberg", since, timeout=timeout)
        times.load_s = time.monotonic() - t1
        log.info("load done in %.0fs (%d runs); waiting for transform_dbt", times.load_s, len(loads))
        t2 = time.monotonic()
        transforms = api.wait_settled("transform_dbt", since, timeout=timeout)
        times.transform_s = time.monotonic() - t2
        times.total_s = time.monotonic() - t0
        times.runs = {"load_iceberg": len(loads), "transform_dbt": len(transforms)}
    log.info(
        "pipeline: ingest %.0fs, load %.0fs, transform %.0fs, total %.0fs",
        times.ingest_s, times.load_s, times.transform_s, times.total_s,
    )  # fmt: skip
    return times


def reset_pipeline_data(s: Settings) -> None:
    """Empty staging (tables, bookmarks) and drop the lake's namespaces (Trino purges the files)."""
    from osspulse.lake.trino import trino_connection
    from osspulse.stack import bootstrap

    with psycopg.connect(s.pg_dsn(), autocommit=True) as conn:
        conn.execute("drop schema if exists staging cascade")
    bootstrap.postgres_databases(s)
    with trino_connection(s) as conn:
        cur = conn.cursor()
        for namespace in ("raw", "bronze", "silver", "gold"):
            cur.execute(f"drop schema if exists {s.catalog_name}.{namespace} cascade")
            cur.fetchall()


def gold_counts(s: Settings) -> dict[str, int]:
    from osspulse.lake.trino import trino_connection

    counts = {}
    with trino_connection(s) as conn:
        cur = conn.cursor()
        for table in GOLD_TABLES:
            cur.execute(f"select count(*) from {s.catalog_name}.gold.{table}")  # noqa: S608
            counts[table] = cur.fetchone()[0]
    return counts


def staging_counts(s: Settings) -> dict[str, int]:
    counts = {}
    with psycopg.connect(s.pg_dsn()) as conn:
        for e in ENTITIES:
            try:
                counts[e.name] = conn.execute(f"select count(*) from {e.staging_table}").fetchone()[0]  # noqa: S608
            except psycopg.errors.UndefinedTable:
                conn.rollback()
                counts[e.name] = 0
    return counts


def raw_counts(s: Settings) -> dict[str, int]:
    from osspulse.lake.trino import trino_connection

    counts = {}
    with trino_connection(s) as conn:
        cur = conn.cursor()
        for e in ENTITIES:
            cur.execute(f"select count(*) from {s.catalog_name}.raw.{e.name}")  # noqa: S608
            counts[e.name] = cur.fetchone()[0]
    return counts


def check_gold(s: Settings) -> dict[str, int]:
    counts = gold_counts(s)
    empty = [t for t, n in counts.items() if n == 0]
    if empty:
        raise DemoError(f"gold tables without rows: {', '.join(empty)}")
    return counts


def banner(s: Settings, summary: dict[str, Any]) -> str:
    lines = [
        "",
        "OSS Pulse is running.",
        f"  Airflow    {s.airflow_url}   login {s.airflow_admin_user} / "
        "OSSPULSE_AIRFLOW_ADMIN_PASSWORD in .env",
        f"  Trino      {s.trino_url}   users: {s.trino_analyst_user} (analysts), "
        f"{s.trino_etl_user} (pipeline); no password on loopback",
        f"  Streamlit  http://{s.bind_host}:{s.streamlit_port}",
        f"  MinIO      http://{s.bind_host}:{s.minio_console_port}   login OSSPULSE_S3_ACCESS_KEY / "
        "OSSPULSE_S3_SECRET_KEY in .env",
        f"  Simulator  http://{s.bind_host}:{s.fake_api_port}   dataset {s.fake_api_data or '-'}",
        "",
        "What loaded:",
    ]
    width = max(len(k) for section in summary.values() if isinstance(section, dict) for k in section)
    for section in ("staging", "raw", "gold"):
        lines.append(f"  {section}:")
        for name, count in summary[section].items():
            lines.append(f"    {name.ljust(width)} {count:>9,}")
    t = summary["times"]
    lines.append(
        f"  pipeline: ingest {t.ingest_s:.0f}s, load {t.load_s:.0f}s, transform {t.transform_s:.0f}s "
        f"(total {t.total_s:.0f}s)"
    )
    return "\n".join(lines)


def demo(data: Path | None = None, scale: int = 1) -> str:
    """The whole demo; returns the banner text (also logged)."""
    from osspulse.stack import runner

    s = get_settings()
    dataset = ensure_dataset(s, data, scale)
    s = use_simulator(s, dataset)
    log.info("bringing the stack up")
    runner.up(s)
    times = run_pipeline(s)
    summary = {
        "staging": staging_counts(s),
        "raw": raw_counts(s),
        "gold": check_gold(s),
        "times": times,
    }
    return banner(s, summary)


def _demo_command(args: Any) -> int:
    s = get_settings()
    if args.real_apis:
        use_real_apis(s)
        return 0
    try:
        print(demo(Path(args.data) if args.data else None, scale=args.scale))
    except Exception as exc:
        log.error("the demo failed: %s", exc)
        log.error(
            "services: `osspulse stack status`; logs: `osspulse stack logs SERVICE`; Airflow UI: %s",
            s.airflow_url,
        )
        return 1
    return 0


def register(sub: Any) -> None:
    parser = sub.add_parser("demo", help="the whole pipeline end to end on simulator data (make demo)")
    parser.add_argument("--data", help="a dataset directory in the simulator's format (default: generated)")
    parser.add_argument("--scale", type=int, default=1, help="size of the generated dataset")
    parser.add_argument(
        "--real-apis", action="store_true", help="stop using the simulator (delete sources.env)"
    )
    parser.set_defaults(func=_demo_command)
