"""``osspulse load`` and ``osspulse maintain``: the Spark jobs, run in-process without Airflow."""

from __future__ import annotations

import argparse
import json
from datetime import date, timedelta


def _load(args: argparse.Namespace) -> int:
    from osspulse.lake.spark import spark_session
    from osspulse.load import raw
    from osspulse.settings import get_settings

    s = get_settings()
    names = raw.all_entity_names() if args.entity == ["all"] else args.entity
    spark = spark_session(s, "osspulse-load")
    try:
        end = args.end or args.start + timedelta(days=1)
        results = raw.load(spark, s, names, args.start, end, namespace=args.namespace)
    finally:
        spark.stop()
    print(json.dumps([r.as_dict() for r in results], indent=2))
    return 0


def _maintain(args: argparse.Namespace) -> int:
    from osspulse.lake.spark import spark_session
    from osspulse.load import maintenance
    from osspulse.settings import get_settings

    s = get_settings()
    spark = spark_session(s, "osspulse-maintain")
    try:
        report = maintenance.run(spark, s, namespaces=args.namespace)
    finally:
        spark.stop()
    print(json.dumps(report, indent=2, default=str))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    load = sub.add_parser("load", help="load staging into lake.raw for a load-date window (Spark)")
    load.add_argument("--entity", nargs="+", default=["all"], help="entities (default: all)")
    load.add_argument("--start", type=date.fromisoformat, required=True, help="first load date (inclusive)")
    load.add_argument("--end", type=date.fromisoformat, help="end load date (exclusive; default start+1)")
    load.add_argument("--namespace", default="raw", help="target namespace (default raw; tests use others)")
    load.set_defaults(func=_load)

    maintain = sub.add_parser("maintain", help="Iceberg maintenance: expire snapshots, compact, orphans")
    maintain.add_argument(
        "--namespace", nargs="+", default=["raw", "bronze", "silver", "gold"], help="namespaces to maintain"
    )
    maintain.set_defaults(func=_maintain)
