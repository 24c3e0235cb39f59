"""Modules the scheduler imports once so that every task it runs starts with them loaded.

The LocalExecutor forks its workers from the scheduler, and each worker forks the task process. A
``transform_dbt`` task imports dbt-core and the Trino adapter (about 3 s of CPU idle, 6 s on a busy
2-core machine), which was half of a typical model task's wall time. Importing them in the scheduler
before the workers fork makes them free for every task (copy-on-write pages).

Wired by ``<AIRFLOW_HOME>/config/airflow_local_settings.py``, which the stack writes; a failure here
is logged and never stops Airflow (tasks then import dbt themselves, as before).
"""

from __future__ import annotations

import logging
import sys
import time

log = logging.getLogger(__name__)

HEAVY_TASK_MODULES = ("dbt.cli.main", "dbt.adapters.trino", "cosmos.operators.local")


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
