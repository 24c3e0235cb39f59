"""spark-submit entry point: load staging into lake.raw for a load-date window.

    spark-submit spark_jobs/load_raw.py --entity github_commits --start 2026-11-01 --end 2026-11-02

The logic lives in :mod:`osspulse.load.raw`; this file only parses arguments and owns the session.
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import date

from osspulse import logs
from osspulse.lake.spark import spark_session
from osspulse.load import raw
from osspulse.settings import get_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entity", nargs="+", required=True, help="entity names, or 'all'")
    parser.add_argument("--start", type=date.fromisoformat, required=True)
    parser.add_argument("--end", type=date.fromisoformat, required=True)
    args = parser.parse_args(argv)
    settings = get_settings()
    logs.configure(logging.INFO, settings)
    names = raw.all_entity_names() if args.entity == ["all"] else args.entity
    spark = spark_session(settings, f"load_raw:{','.join(names)}")
    try:
        raw.load(spark, settings, names, args.start, args.end)
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
