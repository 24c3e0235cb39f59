"""The compose deployment seen from the Docker host: start it, wait for it, look inside, drive the pipeline.

Used by ``make compose-demo`` (``osspulse compose pipeline``), ``make test-compose`` and its benchmark
figures. Everything goes through the ``docker compose`` CLI, as a user would type it; host-side clients
(the Airflow REST API, Trino) reach the containers only through the ports published on 127.0.0.1, with the
settings of ``.env`` (the published ports are the ``OSSPULSE_*_PORT`` settings).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from osspulse.settings import REPO_ROOT, Settings
from osspulse.stack.process import StackError

log = logging.getLogger(__name__)

COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
DEMO_FILE = REPO_ROOT / "docker" / "compose.demo.yml"


class ComposeCommandError(StackError):
    """A ``docker compose`` command failed; the message has its output's end."""


@dataclass
class ComposeProject:
    """One compose project: its files, its name (``-p``) and the environment its files are read with."""

    files: Sequence[Path] = (COMPOSE_FILE,)
    name: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)

    def command(self, *args: str) -> list[str]:
        cmd = ["docker", "compose", "--project-directory", str(REPO_ROOT)]
        for path in self.files:
            cmd += ["-f", str(path)]
        if self.name:
            cmd += ["-p", self.name]
        return [*cmd, *args]

    def run(
        self, *args: str, check: bool = True, timeout: float | None = 600, capture: bool = True
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(  # noqa: S603 - docker compose with our own arguments
            self.command(*args),
            cwd=REPO_ROOT,
            env={**os.environ, **self.env},
            capture_output=capture,
            text=True,
            timeout=timeout,
        )
        if check and done.returncode != 0:
            output = ((done.stdout or "") + (done.stderr or ""))[-3000:]
            command = " ".join(args)
            raise ComposeCommandError(f"`docker compose {command}` failed ({done.returncode}):\n{output}")
        return done

    # --- lifecycle ---------------------------------------------------------------------------------------

    def up(self, scale: Mapping[str, int] | None = None, *, timeout: float = 900) -> float:
        """``up -d --wait`` (every healthcheck green, every one-shot job done); returns its seconds."""
        args = ["up", "-d", "--wait", "--wait-timeout", str(int(timeout)), "--no-build", "--pull", "never"]
        for service, replicas in (scale or {}).items():
            args += ["--scale", f"{service}={replicas}"]
        started = time.monotonic()
        try:
            self.run(*args, timeout=timeout + 60)
        except ComposeCommandError as exc:
            raise ComposeCommandError(f"{exc}\n{self.unhealthy_report()}") from None
        return time.monotonic() - started

    def down(self, *, volumes: bool = False) -> None:
        self.run("down", "--remove-orphans", *(["--volumes"] if volumes else []), timeout=300)

    # --- looking inside ----------------------------------------------------------------------------------

    def containers(self, service: str | None = None) -> list[dict[str, Any]]:
        """``docker compose ps`` rows (every state), optionally of one service."""
        out = self.run("ps", "--all", "--format", "json", *([service] if service else [])).stdout
        rows = [json.loads(line) for line in out.splitlines() if line.strip().startswith("{")]
        if len(rows) == 1 and isinstance(rows[0], list):  # older compose printed one JSON array
            rows = rows[0]
        return rows

    def unhealthy_report(self) -> str:
        lines = []
        try:
            for row in self.containers():
                if row.get("Health") not in ("", "healthy") or row.get("State") not in ("running", "exited"):
                    lines.append(f"{row.get('Service')}: {row.get('State')} {row.get('Health', '')}")
                    lines.append(self.run("logs", "--tail", "20", row["Service"], check=False).stdout)
        except (ComposeCommandError, subprocess.TimeoutExpired, KeyError) as exc:
            lines.append(f"(could not list the containers: {exc})")
        return "\n".join(lines)

    def exec(self, service: str, *cmd: str, index: int = 1, timeout: float = 120) -> str:
        return self.run("exec", "-T", "--index", str(index), service, *cmd, timeout=timeout).stdout

    def inspect(self, container: str) -> dict[str, Any]:
        done = subprocess.run(  # noqa: S603
            ["docker", "inspect", container],
            capture_output=True,
            text=True,
            check=True,  # noqa: S607
        )
        return json.loads(done.stdout)[0]

    def copy_out(self, service: str, path: str, dest: Path) -> Path:
        """``docker compose cp SERVICE:PATH DEST`` (works on stopped one-shot containers too)."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        self.run("cp", f"{service}:{path}", str(dest))
        return dest


def trino_certificate(project: ComposeProject, dest: Path) -> Path:
    """Trino's certificate (public; the volume ``trino-ca`` config-init fills), copied out of the running
    scheduler's container to ``dest``: what a host-side client trusts."""
    from osspulse.deploy.compose import TRINO_CA_FILE

    pem = project.exec("airflow-scheduler", "cat", str(TRINO_CA_FILE))
    if "BEGIN CERTIFICATE" not in pem:
        raise ComposeCommandError(f"no certificate at {TRINO_CA_FILE} in airflow-scheduler: is it up?")
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(pem)
    return dest


def host_settings(s: Settings, project: ComposeProject | None = None) -> Settings:
    """The settings host-side clients use: the ``.env`` values, whose ports are the published ones, and
    Trino's certificate copied out of the deployment (``state_dir/compose/trino-cert.pem``)."""
    ca = trino_certificate(project or ComposeProject(), s.state_dir / "compose" / "trino-cert.pem")
    return s.model_copy(
        update={"trino_host": "127.0.0.1", "bind_host": "127.0.0.1", "trino_tls_ca_file": str(ca)}
    )
