"""The containers' Trino files boot Trino 476 as a coordinator with a worker (no Docker engine needed).

The same server and launcher as the trinodb/trino:476 image (``launcher run --etc-dir ... -Dnode.id=...``,
what the image's run-trino does), from the native stack's install, against the native stack's Postgres and
MinIO. Only the directories and the worker's port differ from what ``config-init`` writes: in compose each
node has its own address, here both share one.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from osspulse.deploy import compose
from osspulse.lake.trino import http_session
from osspulse.settings import Settings
from osspulse.stack import configs, security

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def query(s: Settings, sql: str, user: str = "etl") -> list | str:
    """``sql`` on the coordinator as ``user``, logged in with its password over HTTPS."""
    with http_session(s, user) as session:
        page = session.post(f"{s.trino_url}/v1/statement", data=sql.encode(), timeout=30).json()
        rows: list = []
        while True:
            rows += page.get("data", [])
            if "error" in page:
                return "ERROR " + page["error"]["message"]
            if not page.get("nextUri"):
                return rows
            page = session.get(page["nextUri"], timeout=30).json()


def test_coordinator_and_worker_run_queries_on_the_worker(stack: Settings, tmp_path: Path):
    coordinator_port, internal_port, worker_port = free_port(), free_port(), free_port()
    tls_dir = tmp_path / "tls"
    tls_dir.mkdir()
    tls = security.ensure_tls(tls_dir, ["127.0.0.1", "localhost"])
    s = stack.model_copy(
        update={
            "trino_port": coordinator_port,
            "trino_heap": "1G",
            "trino_query_max_memory": "500MB",
            "trino_tls_ca_file": str(tls.certificate),
        }
    )
    install = stack.trino_install_dir
    java_home = stack.resolve_trino_java_home()
    env = {
        **os.environ,
        **configs.trino_secret_env(stack),
        "JAVA_HOME": str(java_home),
        "PATH": f"{java_home / 'bin'}:{os.environ['PATH']}",
    }
    procs = []
    try:
        for role, port in (("coordinator", internal_port), ("worker", worker_port)):
            etc = tmp_path / role
            files = compose.trino_etc(
                s,
                role,
                etc_dir=etc,
                plugin_dir=install / "plugin",
                data_dir=tmp_path / f"{role}-data",
                tls_dir=tls_dir,
            )
            # in compose each node has its own address; here both share one: distinct internal ports
            internal = configs.TRINO_INTERNAL_HTTP_PORT
            files["config.properties"] = (
                files["config.properties"]
                .replace(f"http-server.http.port={internal}", f"http-server.http.port={port}")
                .replace(
                    f"discovery.uri=http://{s.trino_host}:{internal}",
                    f"discovery.uri=http://127.0.0.1:{internal_port}",
                )
            )
            compose.write_tree(etc, files)
            cmd = [str(install / "bin" / "launcher"), "run", "--etc-dir", str(etc), f"-Dnode.id={role}"]
            log = (tmp_path / f"{role}.log").open("w")
            procs.append(
                subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            )  # noqa: S603
        nodes: list | str = []
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            for proc in procs:
                assert proc.poll() is None, (tmp_path / "coordinator.log").read_text()[-3000:]
            try:
                nodes = query(s, "select node_id, coordinator, state from system.runtime.nodes")
            except (OSError, ValueError):
                nodes = []
            if isinstance(nodes, list) and len(nodes) == 2:
                break
            time.sleep(2)
        assert sorted(map(tuple, nodes)) == [("coordinator", True, "active"), ("worker", False, "active")], (
            nodes
        )
        # the coordinator does not schedule on itself: this runs on the worker
        assert query(s, "select sum(x) from unnest(sequence(1, 10000)) t(x)") == [[50005000]]
        schemas = query(s, "show schemas from lake")
        assert isinstance(schemas, list) and ["information_schema"] in schemas, schemas
        assert ["staging"] in query(s, "show schemas from staging", user="analyst")
        assert "Access Denied" in query(s, "show schemas from staging", user="dashboard")
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
