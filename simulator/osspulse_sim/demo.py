"""``osspulse demo``: the whole pipeline end to end on simulator data, through the real Airflow.

1. a dataset: ``--data DIR`` (any directory in the simulator's format, e.g. recorded real data), or a
   generated one in ``<state>/demo-data``;
2. ``<state>/sources.env`` points every part of the stack (Airflow tasks included) at the simulator
   serving that dataset and at ``DIR/tracked.yml``;
3. the stack comes up (with the simulator); the DAGs are unpaused; ``ingest_github`` and
   ``ingest_pypi`` are triggered through the Airflow REST API;
4. it waits for the Asset-driven ``load_iceberg`` and ``transform_dbt`` runs, checks that every gold
   table has rows, and prints the URLs, logins and a summary of what loaded;
5. alerts: the dataset gets demo rules (``DIR/alerts.yml``, unless it has one) with an e-mail and a
   webhook recipient; while no real SMTP server or webhook is configured, a local alert sink runs
   during the demo (``<state>/alert-sink``), the demo waits for ``deliver_alerts`` and lists what
   arrived.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from osspulse.entities import ENTITIES
from osspulse.lake.catalog import load_catalog
from osspulse.pipeline import check_gold, raw_counts, run_pipeline, staging_counts
from osspulse.settings import Settings, get_settings, sources_overlay

log = logging.getLogger("osspulse.demo")


class DemoError(RuntimeError):
    pass


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


LAKE_NAMESPACES = ("raw", "bronze", "silver", "gold", "ops")


def simulator_data(s: Settings) -> list[str]:
    """What holds simulator data now: staging tables with rows, lake namespaces with tables."""
    import psycopg

    from osspulse.ingest import staging

    found: list[str] = []
    try:
        with psycopg.connect(s.pg_dsn(), connect_timeout=10) as conn:
            recorded = staging.recorded_source(conn)
            if recorded is not None and recorded[0] != "simulator":
                return []  # real-API data: nothing of the simulator's to delete
            for e in ENTITIES:
                if conn.execute("select to_regclass(%s)", (e.staging_table,)).fetchone()[0] is not None:
                    n = conn.execute(f"select count(*) from {e.staging_table}").fetchone()[0]  # noqa: S608
                    if n:
                        found.append(f"{e.staging_table} ({n:,} rows)")
    except psycopg.OperationalError as exc:
        raise DemoError(f"cannot read staging to see what the demo left: {exc}; is the stack up?") from None
    catalog = load_catalog(s)
    present = {ns[0] for ns in catalog.list_namespaces()}
    for ns in LAKE_NAMESPACES:
        if ns in present:
            found.append(f"lake namespace {s.catalog_name}.{ns} ({len(catalog.list_tables(ns))} tables)")
    return found


def use_real_apis(s: Settings, *, yes: bool = False) -> list[str]:
    """Stop using the simulator: its rows and bookmarks go too, or real history would never be fetched.

    Without ``yes`` it refuses, naming what it would delete. Returns what was deleted.
    """
    import psycopg

    from osspulse.ingest import staging

    doomed = simulator_data(s)
    if doomed and not yes:
        raise DemoError(
            "switching to the real APIs starts clean: the simulator's rows and bookmarks would hide real "
            "history (the next run would only ask what is newer than the fake bookmarks). It deletes: "
            + "; ".join(doomed)
            + ". Rerun with `osspulse demo --real-apis --yes` to do it."
        )
    if doomed:
        with psycopg.connect(s.pg_dsn(), autocommit=True) as conn:
            conn.execute("drop schema if exists staging cascade")
        staging.forget_ensured()
        catalog = load_catalog(s)
        present = {ns[0] for ns in catalog.list_namespaces()}
        for ns in LAKE_NAMESPACES:
            if ns in present:
                for table in catalog.list_tables(ns):
                    catalog.purge_table(table)
                catalog.drop_namespace(ns)
        log.info("deleted the simulator's data: %s", "; ".join(doomed))
    overlay = sources_overlay(s.state_dir)
    overlay.unlink(missing_ok=True)
    get_settings.cache_clear()
    log.info("removed %s: the stack reads the real GitHub and PyPI APIs", overlay)
    return doomed


def ensure_dataset(s: Settings, data: Path | None, scale: int) -> Path:
    if data is not None:
        if not data.is_dir():
            raise DemoError(f"--data {data}: no such directory")
        return data
    target = s.state_dir / "demo-data"
    if not (target / "tracked.yml").exists():
        from osspulse_sim.generate import generate

        log.info("generating the demo dataset (scale %d) in %s", scale, target)
        generate(target, scale=scale)
    return target


#: the demo's alert rules: thresholds low enough for the simulator's data to raise a few events
DEMO_ALERTS = """\
# Demo alert rules (written by `osspulse demo`; docs/alerts.md). Thresholds are low on purpose.
recipients:
  demo-team: {email: [demo-team@osspulse.local]}
  demo-chat: {webhook: true}
rules:
  - {name: new-release, kind: new_release, source: any, within_days: 30}
  - {name: downloads-moved, kind: downloads_change, direction: any, threshold_pct: 10}
  - {name: issues-unanswered, kind: unanswered_share, after_days: 7, threshold_pct: 30, min_items: 3}
  - {name: few-contributors, kind: absence_factor, at_most: 3}
  - {name: stars-gained, kind: stars_gained, more_than: 10}
  - {name: data-stale, kind: data_stale, days: 3}
"""


def ensure_demo_alerts(dataset: Path) -> Path:
    path = dataset / "alerts.yml"
    if not path.exists():
        path.write_text(DEMO_ALERTS, encoding="utf-8")
    return path


def wait_for_alerts(s: Settings, since: Any, sink: Any) -> list[dict[str, Any]]:
    """Wait for the ``deliver_alerts`` run after the transform; what the sink received."""
    from osspulse.orchestration.airflow_api import AirflowClient
    from osspulse.orchestration.dag_ids import ALERTS

    with AirflowClient(s) as api:
        api.wait_settled(ALERTS, since, timeout=600)
    return sink.inbox.summary() if sink is not None else []


def banner(s: Settings, summary: dict[str, Any]) -> str:
    lines = [
        "",
        "OSS Pulse is running.",
        f"  Airflow    {s.airflow_url}   login {s.airflow_admin_user} / "
        "OSSPULSE_AIRFLOW_ADMIN_PASSWORD in .env",
        f"  Trino      {s.trino_url}   users: {s.trino_analyst_user} (analysts), "
        f"{s.trino_etl_user} (pipeline); passwords OSSPULSE_TRINO_*_PASSWORD in .env, "
        f"TLS certificate {s.trino_ca_path}",
        f"  Streamlit  {s.dashboard_url}",
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
    alerts = summary.get("alerts")
    if alerts is not None:
        lines += [
            "",
            f"Alerts delivered (local alert sink, {s.state_dir / 'alert-sink'}; and the Alerts page):",
        ]
        lines += [f"  {m['kind']:<8} {m['to']}: {m['subject']}" for m in alerts] or ["  none"]
    return "\n".join(lines)


def _refuse_real_data(s: Settings) -> None:
    """The demo writes simulator rows: never over a staging that holds real-API data."""
    import psycopg

    from osspulse.ingest import staging

    try:
        with psycopg.connect(s.pg_dsn(), connect_timeout=10) as conn:
            recorded = staging.recorded_source(conn)
    except psycopg.OperationalError:
        return  # the stack is not up yet: nothing to mix with
    if recorded is not None and recorded[0] == "real":
        raise DemoError(
            f"staging ({s.pg_staging_db}) holds data from the real APIs since {recorded[2]:%Y-%m-%d}: "
            "the demo would mix simulator rows into it. Run the demo in another checkout or state "
            "directory, or point OSSPULSE_PG_STAGING_DB at another database."
        )


def demo(data: Path | None = None, scale: int = 1) -> str:
    """The whole demo; returns the banner text (also logged)."""
    from osspulse.stack import runner

    s = get_settings()
    _refuse_real_data(s)
    dataset = ensure_dataset(s, data, scale)
    ensure_demo_alerts(dataset)
    s = use_simulator(s, dataset)
    sink = None
    if s.uses_alert_sink:
        from osspulse_sim.alert_sink import AlertSink

        sink = AlertSink(
            s.state_dir / "alert-sink", s.bind_host, s.alert_sink_smtp_port, s.alert_sink_http_port
        )
        sink.start()
    try:
        log.info("bringing the stack up")
        runner.up(s)
        from datetime import UTC, datetime

        since = datetime.now(UTC)
        times = run_pipeline(s)
        summary = {
            "staging": staging_counts(s),
            "raw": raw_counts(s),
            "gold": check_gold(s),
            "times": times,
            "alerts": wait_for_alerts(s, since, sink),
        }
    finally:
        if sink is not None:
            sink.stop()
    return banner(s, summary)


def _demo_command(args: Any) -> int:
    s = get_settings()
    if args.real_apis:
        try:
            use_real_apis(s, yes=args.yes)
        except DemoError as exc:
            log.error("%s", exc)
            return 1
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
        "--real-apis",
        action="store_true",
        help="stop using the simulator: delete sources.env and the simulator's rows (named; needs --yes)",
    )
    parser.add_argument("--yes", action="store_true", help="with --real-apis: do delete the simulator's data")
    parser.set_defaults(func=_demo_command)
