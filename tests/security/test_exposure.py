"""Nothing listens beyond loopback; secrets stay out of the repository and out of every log."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from pathlib import Path

import pytest

from osspulse.logs import secret_values
from osspulse.settings import REPO_ROOT
from osspulse.stack import runner
from tests.helpers import files_containing


def listening_sockets() -> dict[int, list[tuple[str, int]]]:
    """inode -> [(address, port)] of every listening TCP socket, from /proc/net/tcp{,6}."""
    sockets: dict[int, list[tuple[str, int]]] = {}
    for name, width in (("tcp", 8), ("tcp6", 32)):
        for line in Path(f"/proc/net/{name}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] != "0A":  # LISTEN
                continue
            hex_addr, hex_port = fields[1].split(":")
            sockets.setdefault(int(fields[9]), []).append((_address(hex_addr, width), int(hex_port, 16)))
    return sockets


def _address(hex_addr: str, width: int) -> str:
    import ipaddress

    raw = bytes.fromhex(hex_addr)
    if width == 8:
        return str(ipaddress.IPv4Address(raw[::-1]))
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
    return str(ipaddress.IPv6Address(words))


def is_loopback(address: str) -> bool:
    import ipaddress

    ip = ipaddress.ip_address(address)
    mapped = getattr(ip, "ipv4_mapped", None)  # ::ffff:127.0.0.1, as Java binds IPv4 on a dual stack
    return ip.is_loopback or bool(mapped and mapped.is_loopback)


def process_tree(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = set(), [pid]
    while todo:
        current = todo.pop()
        tree.add(current)
        todo.extend(children.get(current, []))
    return tree


def socket_inodes(pid: int) -> set[int]:
    inodes = set()
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(int(target[8:-1]))
    except OSError:
        pass
    return inodes


@pytest.mark.integration
def test_every_service_listens_on_loopback_only(stack):
    sockets = listening_sockets()
    exposed = []
    for svc in runner.status(stack):
        if svc.pid is None:
            continue
        for pid in process_tree(svc.pid):
            for inode in socket_inodes(pid):
                for address, port in sockets.get(inode, []):
                    if not is_loopback(address):
                        exposed.append(f"{svc.name} (pid {pid}) listens on {address}:{port}")
    assert not exposed, exposed


def test_env_file_is_ignored_and_untracked():
    ignored = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=REPO_ROOT)
    assert ignored.returncode == 0, ".env must be git-ignored"
    tracked = subprocess.run(
        ["git", "ls-files", "--error-unmatch", ".env"], cwd=REPO_ROOT, capture_output=True
    )
    assert tracked.returncode != 0, ".env must never be committed"


def test_no_secret_of_this_installation_is_in_the_repository(settings):
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    paths = [REPO_ROOT / p for p in tracked.stdout.splitlines() if (REPO_ROOT / p).is_file()]
    leaks = files_containing(paths, [v for v in secret_values(settings) if v and v != "change-me"])
    assert not leaks, leaks


@pytest.mark.integration
def test_service_logs_hold_no_secret(demo_pipeline):
    """Every service log and Airflow task log of the end-to-end run, scanned for every secret."""
    s = demo_pipeline.settings
    assert s.github_token.get_secret_value(), (
        "the run had a GitHub token to leak (tests/conftest.py sets one)"
    )
    logs = [*(s.state_dir / "logs").glob("*.log"), *(s.state_dir / "airflow" / "logs").rglob("*.log")]
    sim = json.loads(urllib.request.urlopen(f"http://{s.bind_host}:{s.fake_api_port}/_sim/stats").read())
    assert sim["authorized"] > 0, "the ingest sent the token (to the simulator)"
    task_logs = [p for p in logs if "dag_id=ingest/" in str(p)]
    assert task_logs, "the ingest tasks of the run wrote logs"
    leaks = files_containing(logs, [v for v in secret_values(s) if v and v != "change-me"])
    assert not leaks, leaks
