"""What another user of the machine can see of the stack: every process's command line, the environment of
the processes that user may read, every file under the state directory.

:class:`ProcessScanner` samples ``/proc`` in a child process running as an unprivileged user (``nobody``
when the tests run as root), which reports back what it could read; the test process holds the secrets
and does the matching, so the secrets never reach the unprivileged process. Sampling runs during the whole
end-to-end pipeline (the ``demo_pipeline`` fixture), so short-lived processes (spark-submit, dbt, task
processes) are seen too.
"""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import stat
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

#: the child: prints each new (pid, kind, text) it can read, as JSON lines, until stdin closes
_SAMPLER = r"""
import hashlib, json, os, select, sys, time
seen = set()
me = os.getuid()
def sample():
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        for kind in ("cmdline", "environ"):
            try:
                with open(f"/proc/{name}/{kind}", "rb") as fh:
                    data = fh.read()
            except OSError:
                continue  # not ours to read (or gone): exactly what another user cannot see either
            if not data:
                continue
            key = hashlib.sha256(kind.encode() + data).digest()
            if key in seen:
                continue
            seen.add(key)
            text = data.replace(b"\0", b" ").decode("utf-8", "replace")
            sys.stdout.write(json.dumps({"pid": int(name), "kind": kind, "text": text}) + "\n")
    sys.stdout.flush()
while True:
    sample()
    ready, _, _ = select.select([sys.stdin], [], [], 0.2)
    if ready and not sys.stdin.read(1):
        sample()
        break
"""


def unprivileged_user() -> str | None:
    """The user to sample as: ``nobody`` when we are root, else None (we are already unprivileged)."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("nobody")
    except KeyError:  # pragma: no cover - every Debian has nobody
        return None
    return "nobody"


@dataclass
class ProcessScanner:
    """Samples what an unprivileged user can read in ``/proc`` until :meth:`stop`."""

    seen: list[dict] = field(default_factory=list)
    user: str | None = None
    _proc: subprocess.Popen | None = None
    _reader: threading.Thread | None = None

    @classmethod
    def start(cls) -> ProcessScanner:
        scanner = cls(user=unprivileged_user())
        # the system Python: the venv may live where that user cannot go (root's home)
        python = "/usr/bin/python3" if scanner.user and Path("/usr/bin/python3").exists() else sys.executable
        scanner._proc = subprocess.Popen(  # noqa: S603 - our own sampler
            [python, "-I", "-c", _SAMPLER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd="/",
            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
            user=scanner.user,
            group=pwd.getpwnam(scanner.user).pw_gid if scanner.user else None,  # nogroup on Debian
            extra_groups=[] if scanner.user else None,
        )
        scanner._reader = threading.Thread(target=scanner._read, daemon=True)
        scanner._reader.start()
        return scanner

    def _read(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        for line in self._proc.stdout:
            self.seen.append(json.loads(line))

    def stop(self) -> ProcessScanner:
        assert self._proc is not None and self._proc.stdin is not None
        self._proc.stdin.close()
        self._proc.wait(timeout=60)
        if self._reader:
            self._reader.join(timeout=60)
        return self

    def leaks(self, secrets: list[str]) -> list[str]:
        """``pid kind: secret #i`` for every sample holding a secret (the values are never printed)."""
        needles = [(i, s) for i, s in enumerate(secrets) if s and len(s) >= 6]
        found = []
        for sample in self.seen:
            for index, needle in needles:
                if needle in sample["text"]:
                    head = sample["text"][:80] if sample["kind"] == "cmdline" else "(environment)"
                    found.append(f"pid {sample['pid']} {sample['kind']}: secret #{index} in {head!r}")
        return found


def readable_files(root: Path) -> list[Path]:
    """Every regular file under ``root``, not following symlinks."""
    files = []
    for directory, _dirs, names in os.walk(root, followlinks=False):
        for name in names:
            path = Path(directory) / name
            if stat.S_ISREG(os.lstat(path).st_mode):
                files.append(path)
    return files


def files_with_secrets(
    paths: list[Path], secrets: list[str], *, limit: int = 256 << 20
) -> dict[Path, list[int]]:
    """path -> indexes of the secrets it holds (files over ``limit`` bytes are read in chunks)."""
    needles = [(i, s.encode()) for i, s in enumerate(secrets) if s and len(s) >= 6]
    longest = max((len(n) for _, n in needles), default=0)
    found: dict[Path, list[int]] = {}
    for path in paths:
        hits: set[int] = set()
        try:
            with path.open("rb") as fh:
                tail = b""
                while chunk := fh.read(limit):
                    data = tail + chunk
                    hits |= {i for i, n in needles if n in data}
                    tail = data[-longest:]
        except OSError:
            continue
        if hits:
            found[path] = sorted(hits)
    return found


def fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]
