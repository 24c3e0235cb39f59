"""``osspulse dbt``: dbt with the profile from settings."""

from __future__ import annotations

import argparse
from pathlib import Path


def _dbt(args: argparse.Namespace) -> int:
    from osspulse.settings import get_settings
    from osspulse.transform.dbt import DbtTarget, run_dbt

    rest = list(args.rest)
    if rest[:1] == ["--"]:
        rest = rest[1:]
    if not rest:
        raise SystemExit("name a dbt command, e.g. `osspulse dbt build` or `osspulse dbt test --select gold`")
    target = DbtTarget(
        schema_prefix=args.schema_prefix,
        raw_schema=args.raw_schema,
        workdir=Path(args.workdir).resolve() if args.workdir else None,
        threads=args.threads,
    )
    return run_dbt(get_settings(), rest, target).returncode


def register(subparsers: argparse._SubParsersAction) -> None:
    dbt = subparsers.add_parser(
        "dbt",
        help="run dbt on dbt_project/ with the Trino profile from settings (e.g. osspulse dbt build)",
        description="Runs dbt in dbt_project/. Options before the dbt command choose the schemas.",
    )
    dbt.add_argument("--schema-prefix", default="", help="write lake.<prefix>bronze|silver|gold (e.g. dev_)")
    dbt.add_argument("--raw-schema", default="raw", help="schema of the raw source tables (default raw)")
    dbt.add_argument("--workdir", help="directory for this run's seeds, target/ and logs")
    dbt.add_argument("--threads", type=int, help="dbt threads (default: OSSPULSE_DBT_THREADS, 4)")
    dbt.add_argument("rest", nargs=argparse.REMAINDER, help="the dbt command and its arguments")
    dbt.set_defaults(func=_dbt)
