"""Modules the scheduler imports once so that every task it runs starts with them loaded.

The LocalExecutor forks its workers from the scheduler, and each worker forks the task process. Importing
what the tasks import (the ingest clients with httpx, psycopg and tenacity; PyIceberg and the Trino client
that ``record_health`` and the alert delivery use) in the scheduler before the workers fork makes it
free for every task (copy-on-write pages). dbt itself runs as a subprocess of the ``dbt_build`` task
(osspulse/transform/build.py), so it is not among them.

Wired by ``<AIRFLOW_HOME>/config/airflow_local_settings.py``, which the stack writes; a failure here
is logged and never stops Airflow (tasks then import the modules themselves).
"""

from __future__ import annotations

import logging
import sys
import time

log = logging.getLogger(__name__)

HEAVY_TASK_MODULES = (
    "osspulse.ingest.run",
    "osspulse.lake.catalog",
    "osspulse.lake.trino",
    "pyiceberg.catalog.sql",
)


def preload(argv: list[str] | None = None) -> list[str]:
    """Import the heavy modules when this process is the scheduler; returns what was imported."""
    argv = sys.argv if argv is None else argv
    if len(argv) < 2 or argv[1] != "scheduler":
        return []
    t0, done = time.monotonic(), []
    for name in HEAVY_TASK_MODULES:
        try:
            __import__(name)
            done.append(name)
        except Exception:  # noqa: BLE001 - an optimisation must never stop the scheduler
            log.warning("could not preload %s; tasks will import it themselves", name, exc_info=True)
    log.info("preloaded %s for task processes in %.1fs", ", ".join(done), time.monotonic() - t0)
    return done
