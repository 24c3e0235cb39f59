"""``osspulse compose serve spark-master|spark-worker`` start an authenticated Spark standalone cluster that
runs our jobs and refuses a driver without its secret.

The same commands and healthchecks as the containers, on loopback addresses and free ports; the driver is
the project's own session (osspulse.lake.spark), as in the scheduler's container. Needs Java 17 and the
jars of ``make setup``, no store. ``make test-compose`` runs the same in containers.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pydantic import SecretStr

from osspulse.deploy import compose
from osspulse.settings import Settings

pytestmark = pytest.mark.integration

DRIVER = """
from osspulse.lake.spark import spark_session
from osspulse.settings import get_settings

spark = spark_session(get_settings(), "compose-cluster-test")
try:
    total = spark.range(100_000).selectExpr("sum(id) as s").collect()[0]["s"]  # runs on executors only
    print(spark.sparkContext._jsc.sc().getExecutorMemoryStatus().size(), total)
finally:
    spark.stop()
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(
    s: Settings, service: str, environ: dict[str, str], proc: subprocess.Popen, log: Path
) -> str:
    deadline = time.monotonic() + 90
    detail = ""
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()[-3000:]
        ok, detail = compose.health(s, service, environ)
        if ok:
            return detail
        time.sleep(1)
    pytest.fail(f"{service} not healthy: {detail}\n{log.read_text()[-3000:]}")


def run_driver(env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess:
    """The driver in its own process: a session of another test in this one would be reused otherwise."""
    try:
        return subprocess.run(  # noqa: S603
            [sys.executable, "-c", DRIVER], env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired as exc:  # a refused driver may keep retrying: it never ran the job
        return subprocess.CompletedProcess(exc.cmd, 124, exc.stdout or "", exc.stderr or "")


def test_master_and_worker_run_a_job(settings: Settings, tmp_path: Path):
    s = settings.model_copy(update={"spark_master": f"spark://127.0.0.1:{free_port()}"})
    environ = {
        **os.environ,
        "SPARK_MASTER_WEBUI_PORT": str(free_port()),
        "SPARK_WORKER_WEBUI_PORT": str(free_port()),
        "SPARK_WORKER_DIR": str(tmp_path / "work"),
        "SPARK_WORKER_CORES": "1",
        "SPARK_WORKER_MEMORY": "1g",
        "SPARK_LOCAL_IP": "127.0.0.1",  # in compose each container has its own address
    }
    s = s.model_copy(update={"state_dir": tmp_path, "spark_auth_secret": SecretStr("cluster-test-secret")})
    conf_dir = compose.write_spark_conf(s).parent
    procs = []
    try:
        for service in (compose.SPARK_MASTER, compose.SPARK_WORKER):
            argv, env = compose.service_process(s, service, environ)
            log = tmp_path / f"{service}.log"
            with log.open("w") as out:
                procs.append(
                    subprocess.Popen(
                        argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
                    )
                )  # noqa: S603
            detail = wait_healthy(s, service, environ, procs[-1], log)
        assert detail == f"registered with {s.spark_master}"
        driver_env = {
            **os.environ,
            "OSSPULSE_SPARK_MASTER": s.spark_master,
            "OSSPULSE_SPARK_DRIVER_MEMORY": "1g",
            "SPARK_CONF_DIR": str(conf_dir),  # as in the scheduler's container
        }
        driver = run_driver(driver_env)
        assert driver.returncode == 0, driver.stderr[-3000:]
        executors, total = driver.stdout.split()[-2:]
        assert int(executors) >= 2  # the driver and at least one executor on the worker
        assert int(total) == 4_999_950_000
        # a driver with another secret is refused by the master
        intruder_conf = tmp_path / "intruder"
        intruder_conf.mkdir()
        (intruder_conf / "spark-defaults.conf").write_text(
            compose.spark_defaults(s).replace("cluster-test-secret", "wrong")
        )
        intruder = run_driver({**driver_env, "SPARK_CONF_DIR": str(intruder_conf)}, timeout=60)
        assert intruder.returncode != 0
        assert "4999950000" not in intruder.stdout
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
