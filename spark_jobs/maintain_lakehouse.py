"""spark-submit entry point: weekly Iceberg maintenance of the lakehouse namespaces.

The logic lives in :mod:`osspulse.load.maintenance`.
"""

from __future__ import annotations

import argparse
import logging
import sys

from osspulse import logs
from osspulse.lake.spark import spark_session
from osspulse.load import maintenance
from osspulse.settings import get_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--namespace", nargs="+", default=["raw", "bronze", "silver", "gold"])
    args = parser.parse_args(argv)
    settings = get_settings()
    logs.configure(logging.INFO, settings)
    spark = spark_session(settings, "maintain_lakehouse")
    try:
        maintenance.run(spark, settings, args.namespace)
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
