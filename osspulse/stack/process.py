"""Local processes of the native stack: start detached, remember by pid file, stop by process group."""

from __future__ import annotations

import errno
import json
import logging
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


class StackError(RuntimeError):
    """A service could not be started or is unhealthy; the message names it and what to do."""


def _start_ticks(pid: int) -> int | None:
    """Start time of a process in clock ticks since boot (field 22 of /proc/pid/stat)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may contain spaces; it is wrapped in parentheses
    return int(stat.rsplit(")", 1)[1].split()[19])


@dataclass(frozen=True)
class PidFile:
    """``{pid, start_ticks}`` of a service, so a recycled pid is never mistaken for our process."""

    path: Path

    def write(self, pid: int) -> None:
        from osspulse.stack import fs

        fs.ensure_dir(self.path.parent)
        fs.write_file(self.path, json.dumps({"pid": pid, "start_ticks": _start_ticks(pid)}))

    def running_pid(self) -> int | None:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None
        pid = data.get("pid")
        if not isinstance(pid, int) or _start_ticks(pid) != data.get("start_ticks"):
            return None
        if Path(f"/proc/{pid}/status").read_text().find("State:\tZ") >= 0:
            return None  # a zombie of ours that nobody reaped yet
        return pid

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


def port_in_use(host: str, port: int) -> bool:
    """True when something already listens on (or holds) host:port.

    SO_REUSEADDR, as servers set it: connections in TIME_WAIT from an earlier run do not count.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return True
            raise
    return False


def start_detached(
    cmd: list[str],
    *,
    log_file: Path,
    env: dict[str, str],
    cwd: Path,
    user: str | None = None,
) -> int:
    """Start ``cmd`` in its own session (it outlives the CLI), appending output to ``log_file``.

    The process gets umask 077: whatever it creates (data, logs) is its user's alone.
    """
    from osspulse.stack import fs

    fs.ensure_dir(log_file.parent)
    with fs.open_append(log_file) as out:
        out.write(f"\n=== {time.strftime('%Y-%m-%dT%H:%M:%S%z')} starting {cmd[0]}\n".encode())
        out.flush()
        proc = subprocess.Popen(  # noqa: S603 - commands are built by the stack, not from input
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=True,
            umask=0o077,
            user=user,
            group=user,
            extra_groups=[] if user else None,
        )
    return proc.pid


def stop_group(pid: int, *, sig: signal.Signals = signal.SIGTERM, timeout: float = 30.0) -> bool:
    """Signal the process group of ``pid``; SIGKILL it after ``timeout``. True if it had to be killed."""
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _group_alive(pid):
            return False
        time.sleep(0.2)
    log.warning("process group %s did not stop within %.0fs; killing it", pid, timeout)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        return True
    while _group_alive(pid):
        time.sleep(0.1)
    return True


def _group_alive(pgid: int) -> bool:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        # fields[0] is the state, fields[2] the process group id
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    try:  # reap our own child if it is one (when stop runs in the process that started it)
        os.waitpid(pgid, os.WNOHANG)
    except ChildProcessError:
        pass
    return False


def rss_bytes(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0, [pid]
    page = os.sysconf("SC_PAGE_SIZE")
    while todo:
        current = todo.pop()
        try:
            total += int(Path(f"/proc/{current}/statm").read_text().split()[1]) * page
        except (OSError, IndexError, ValueError):
            continue
        todo.extend(children.get(current, []))
    return total
