"""Process bookkeeping of the stack runner (no services needed)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from osspulse.stack.process import PidFile, port_in_use, rss_bytes, start_detached, stop_group
from osspulse.stack.runner import ServiceStatus, format_status


def test_pid_file_recognises_only_the_same_process(tmp_path):
    pid_file = PidFile(tmp_path / "x.pid")
    assert pid_file.running_pid() is None
    pid_file.write(os.getpid())
    assert pid_file.running_pid() == os.getpid()
    # a recycled pid (same number, another start time) is not ours
    pid_file.path.write_text(f'{{"pid": {os.getpid()}, "start_ticks": 1}}')
    assert pid_file.running_pid() is None


def test_start_detached_and_stop_group(tmp_path):
    log = tmp_path / "sleep.log"
    pid = start_detached(
        [sys.executable, "-c", "import time; print('hi', flush=True); time.sleep(60)"],
        log_file=log,
        env=dict(os.environ),
        cwd=tmp_path,
    )
    assert os.getpgid(pid) == pid  # its own process group, so it outlives the CLI
    assert rss_bytes(pid) > 0
    killed = stop_group(pid, timeout=10)
    assert killed is False  # it stopped on SIGTERM
    assert "starting" in log.read_text()


def test_stop_group_kills_what_ignores_sigterm(tmp_path):
    code = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('up', flush=True); time.sleep(60)"
    )
    pid = start_detached(
        [sys.executable, "-c", code], log_file=tmp_path / "l", env=dict(os.environ), cwd=tmp_path
    )
    subprocess.run(["sleep", "0.5"], check=True)
    assert stop_group(pid, timeout=1) is True


def test_port_in_use():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        assert port_in_use("127.0.0.1", sock.getsockname()[1])
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        free = sock.getsockname()[1]
    assert not port_in_use("127.0.0.1", free)


def test_status_table():
    rows = [
        ServiceStatus("postgres", "running", True, 10, "5433", 100.0, "accepting", "/l/postgres.log"),
        ServiceStatus("trino", "stopped", False, None, "1080", 0.0, "", "/l/trino.log"),
    ]
    text = format_status(rows)
    assert text.splitlines()[0].split() == [
        "SERVICE",
        "STATE",
        "HEALTH",
        "PID",
        "PORTS",
        "RSS",
        "MiB",
        "DETAIL",
    ]
    assert "postgres  running  healthy" in text
    assert "trino     stopped  -" in text
    assert text.endswith("total RSS: 100 MiB")


def test_down_stops_a_simulator_whose_dataset_setting_is_gone(tmp_path):
    """`osspulse demo` (or a test) may restore settings without a dataset while the simulator still runs."""
    import time

    from osspulse.settings import Settings
    from osspulse.stack import runner
    from osspulse.stack.services import FakeApi

    settings = Settings(state_dir=tmp_path, fake_api_data="")
    svc = FakeApi(settings)
    pid = start_detached([sys.executable, "-c", "import time; time.sleep(60)"], log_file=tmp_path / "sim.log",
                         env=dict(os.environ), cwd=tmp_path)  # fmt: skip
    svc.pid_file.write(pid)
    assert runner.down(settings) == ["fake-api"]
    deadline = time.monotonic() + 10
    while svc.pid_file.running_pid() is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert svc.pid_file.running_pid() is None
