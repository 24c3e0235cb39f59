"""The scheduler preloads what tasks import so that the task processes it forks start with it imported."""

from __future__ import annotations

import subprocess
import sys

from osspulse.orchestration.preload import HEAVY_TASK_MODULES, preload
from osspulse.stack.configs import AIRFLOW_LOCAL_SETTINGS


def test_only_the_scheduler_preloads():
    assert preload(["airflow", "api-server"]) == []
    assert preload(["airflow", "dag-processor"]) == []
    assert preload(["airflow"]) == []


def test_the_scheduler_imports_every_heavy_module():
    code = (
        "import sys\n"
        "sys.argv = ['airflow', 'scheduler']\n"
        f"exec({AIRFLOW_LOCAL_SETTINGS!r})\n"
        f"print(all(m in sys.modules for m in {HEAVY_TASK_MODULES!r}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip().splitlines()[-1] == "True", done.stderr[-2000:]
