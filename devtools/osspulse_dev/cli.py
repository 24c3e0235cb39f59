"""``osspulse dbt-sample``: synthetic raw tables for dbt development and benchmarks.

Registered as an ``osspulse`` sub-command through the ``osspulse.commands`` entry point when the
development tools (``osspulse-dev``) are installed.
"""

from __future__ import annotations

import argparse
import sys


def _sample(args: argparse.Namespace) -> int:
    from osspulse.settings import get_settings
    from osspulse_dev import sample_data

    settings = get_settings()
    counts = sample_data.generate(
        settings,
        schema=args.schema,
        start=sample_data.parse_date(args.start),
        days=args.days,
        scale=args.scale,
        first_load_day=args.first_load_day,
    )
    for table, rows in counts.items():
        sys.stdout.write(f"{table}\t{rows}\n")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    sample = subparsers.add_parser(
        "dbt-sample",
        help="write synthetic raw tables (lake.<schema>.<entity>) for dbt development and benchmarks",
    )
    sample.add_argument("--schema", required=True, help="target schema, e.g. dev_raw (never raw)")
    sample.add_argument("--start", default="2025-01-01", help="first day of activity (UTC)")
    sample.add_argument("--days", type=int, default=90, help="days of history")
    sample.add_argument("--scale", type=int, default=1, help="repos and packages = 2 x scale")
    sample.add_argument(
        "--first-load-day", type=int, default=0, help="only write load days >= this index (append a day)"
    )
    sample.set_defaults(func=_sample)
