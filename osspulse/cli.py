"""The ``osspulse`` command line."""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict

from osspulse import logs
from osspulse.settings import get_settings

log = logging.getLogger("osspulse")

#: Modules that add sub-commands: each has ``register(subparsers)`` and keeps heavy imports inside the
#: command functions, so ``osspulse --help`` stays fast.
COMMAND_MODULES: tuple[str, ...] = (
    "osspulse.load.cli",
    "osspulse.deploy.compose",
    "osspulse.deploy.images",
    "osspulse.ingest.cli",
    "osspulse.workbench.sql",
    "osspulse.workbench.docs",
    "osspulse.transform.cli",
    "osspulse.alerts.cli",
)
#: Separately installed parts add their sub-commands through this entry point group (the API simulator
#: adds ``fake-api`` and ``demo``, the development tools ``dbt-sample``); the runtime never imports them.
COMMAND_ENTRY_POINTS = "osspulse.commands"


def plugin_command_modules() -> list[str]:
    from importlib.metadata import entry_points

    return sorted(ep.value for ep in entry_points(group=COMMAND_ENTRY_POINTS))


def _stack(args: argparse.Namespace) -> int:
    from osspulse.stack import runner

    s = get_settings()
    if args.action == "up":
        runner.up(s, timeout=args.timeout, only=args.only or None)
        print(runner.format_status(runner.status(s)))
    elif args.action == "down":
        stopped = runner.down(s, only=args.only or None)
        log.info("stopped: %s", ", ".join(stopped) or "nothing was running")
    elif args.action == "status":
        rows = runner.status(s)
        if args.json:
            print(json.dumps([asdict(r) for r in rows], indent=2))
        else:
            print(runner.format_status(rows))
        return 0 if all(r.healthy for r in rows) else 3
    elif args.action == "logs":
        if not args.service:
            raise SystemExit("name a service: osspulse stack logs SERVICE (see osspulse stack status)")
        path = runner.log_path(s, args.service)
        cmd = ["tail", "-n", str(args.lines), *(["-F"] if args.follow else []), path]
        return subprocess.call(cmd)  # noqa: S603
    return 0


def _airflow(args: argparse.Namespace) -> int:
    """Run the Airflow CLI with the stack's configuration (e.g. `osspulse airflow dags list`)."""
    from osspulse.stack.configs import airflow_env

    s = get_settings()
    env = {**os.environ, **airflow_env(s, airflow_home=s.state_dir / "airflow")}
    airflow = os.path.join(os.path.dirname(sys.executable), "airflow")
    return subprocess.call([airflow, *args.rest], env=env)  # noqa: S603


def backfill_command(from_date: str, to_date: str, *, dry_run: bool = False) -> list[str]:
    """The Airflow backfill of the ingest DAG, made safe: one run at a time (Airflow 3 runs up to 10 at
    once otherwise, and ingest runs share bookmarks), days already run are run again (a rerun is
    harmless: upserts), and each day's batch flows through the Asset-triggered load and transform."""
    from osspulse.orchestration.dag_ids import INGEST

    cmd = ["backfill", "create", "--dag-id", INGEST, "--from-date", from_date, "--to-date", to_date]
    cmd += ["--max-active-runs", "1", "--reprocess-behavior", "completed"]
    return [*cmd, "--dry-run"] if dry_run else cmd


def _backfill(args: argparse.Namespace) -> int:
    return _airflow(
        argparse.Namespace(rest=backfill_command(args.from_date, args.to_date, dry_run=args.dry_run))
    )


def _smoke(args: argparse.Namespace) -> int:
    from osspulse.lake import smoke

    result = smoke.run(get_settings())
    print(json.dumps(result, indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="osspulse", description="OSS Pulse lakehouse")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    stack = sub.add_parser("stack", help="run the native stack (local processes)")
    stack.add_argument("action", choices=["up", "down", "status", "logs"])
    stack.add_argument("service", nargs="?", help="for logs: the service name")
    stack.add_argument("--only", nargs="*", help="only these services (e.g. postgres minio trino airflow)")
    stack.add_argument("--timeout", type=float, default=240.0, help="seconds to wait for health")
    stack.add_argument("--json", action="store_true", help="status as JSON")
    stack.add_argument("-f", "--follow", action="store_true", help="logs: follow")
    stack.add_argument("-n", "--lines", type=int, default=100, help="logs: lines to show")
    stack.set_defaults(func=_stack)

    airflow = sub.add_parser("airflow", help="the Airflow CLI with the stack's configuration")
    airflow.add_argument("rest", nargs=argparse.REMAINDER)
    airflow.set_defaults(func=_airflow)

    backfill = sub.add_parser(
        "backfill", help="ingest (then load and transform) past days through Airflow, one day at a time"
    )
    backfill.add_argument("--from-date", required=True, help="first day (YYYY-MM-DD), inclusive")
    backfill.add_argument("--to-date", required=True, help="last day (YYYY-MM-DD), inclusive")
    backfill.add_argument("--dry-run", action="store_true", help="list the runs without creating them")
    backfill.set_defaults(func=_backfill)

    smoke = sub.add_parser("smoke", help="write lake.smoke.t with Spark, read it with Trino and PyIceberg")
    smoke.set_defaults(func=_smoke)

    import importlib

    for module in (*COMMAND_MODULES, *plugin_command_modules()):
        importlib.import_module(module).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logs.configure(logging.DEBUG if args.verbose else logging.INFO)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args) or 0
    except Exception as exc:  # the CLI's last word: one readable line, the traceback at debug level
        from osspulse.stack.process import StackError

        if isinstance(exc, StackError | SystemExit):
            log.error("%s", exc)
        else:
            log.exception("%s failed: %s", args.command, exc)
        return 1


if __name__ == "__main__":
    sys.exit(main())
