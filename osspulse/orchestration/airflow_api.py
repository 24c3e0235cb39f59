"""A small client of Airflow 3's REST API (``/api/v2``): trigger runs, wait for them, explain failures.

Used by ``osspulse demo``, the end-to-end tests and ``make bench-e2e``; it drives the real
scheduler exactly as a data engineer would from the UI.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from osspulse.settings import Settings

log = logging.getLogger(__name__)

TERMINAL = {"success", "failed"}


class AirflowApiError(RuntimeError):
    """A call to the Airflow API failed, or a DAG run failed; the message names the task and its log."""


@dataclass(frozen=True)
class DagRun:
    dag_id: str
    run_id: str
    state: str
    run_after: datetime
    start_date: datetime | None
    end_date: datetime | None
    run_type: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DagRun:
        def ts(key: str) -> datetime | None:
            return datetime.fromisoformat(data[key].replace("Z", "+00:00")) if data.get(key) else None

        return cls(
            dag_id=data["dag_id"],
            run_id=data["dag_run_id"],
            state=data["state"],
            run_after=ts("run_after") or datetime.now(UTC),
            start_date=ts("start_date"),
            end_date=ts("end_date"),
            run_type=data.get("run_type", ""),
        )

    @property
    def seconds(self) -> float | None:
        if self.start_date and self.end_date:
            return (self.end_date - self.start_date).total_seconds()
        return None


class AirflowClient:
    def __init__(self, settings: Settings, timeout: float = 30.0) -> None:
        self.settings = settings
        self.base = settings.airflow_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base, timeout=timeout)
        self._token: str | None = None

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> AirflowClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _auth(self) -> dict[str, str]:
        if self._token is None:
            resp = self._http.post(
                "/auth/token",
                json={
                    "username": self.settings.airflow_admin_user,
                    "password": self.settings.airflow_admin_password.get_secret_value(),
                },
            )
            if resp.status_code >= 400:
                raise AirflowApiError(
                    f"Airflow refused the login of {self.settings.airflow_admin_user!r} "
                    f"({resp.status_code}): check OSSPULSE_AIRFLOW_ADMIN_USER/PASSWORD in .env "
                    "and restart the stack"
                )
            self._token = resp.json()["access_token"]
        return {"Authorization": f"Bearer {self._token}"}

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        resp = self._http.request(method, f"/api/v2{path}", headers=self._auth(), **kwargs)
        if resp.status_code >= 400:
            raise AirflowApiError(f"{method} {path} -> {resp.status_code}: {resp.text[:500]}")
        return resp.json() if resp.content else None

    # --- DAGs and runs -------------------------------------------------------------------------

    def wait_for_dags(self, dag_ids: list[str], timeout: float = 180.0) -> None:
        """Wait until the DAG processor has parsed every DAG (a fresh stack takes a little while)."""
        deadline = time.monotonic() + timeout
        while True:
            known = {d["dag_id"] for d in self.request("GET", "/dags", params={"limit": 100})["dags"]}
            missing = [d for d in dag_ids if d not in known]
            if not missing:
                return
            errors = self.request("GET", "/importErrors").get("import_errors", [])
            if errors:
                details = "; ".join(f"{e['filename']}: {e['stack_trace'][-300:]}" for e in errors)
                raise AirflowApiError(f"DAG import errors: {details}")
            if time.monotonic() > deadline:
                raise AirflowApiError(f"DAGs not parsed after {timeout:.0f}s: {missing}")
            time.sleep(3)

    def unpause(self, dag_id: str) -> None:
        self.request("PATCH", f"/dags/{dag_id}", json={"is_paused": False})

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None, note: str | None = None) -> DagRun:
        body: dict[str, Any] = {"logical_date": None, "conf": conf or {}}
        if note:
            body["note"] = note
        run = DagRun.from_json(self.request("POST", f"/dags/{dag_id}/dagRuns", json=body))
        log.info("triggered %s (%s)", dag_id, run.run_id)
        return run

    def runs(self, dag_id: str, since: datetime | None = None) -> list[DagRun]:
        params: dict[str, Any] = {"limit": 100, "order_by": "run_after"}
        if since:
            params["run_after_gte"] = since.isoformat()
        data = self.request("GET", f"/dags/{dag_id}/dagRuns", params=params)
        return [DagRun.from_json(r) for r in data["dag_runs"]]

    def run(self, dag_id: str, run_id: str) -> DagRun:
        return DagRun.from_json(self.request("GET", f"/dags/{dag_id}/dagRuns/{run_id}"))

    def queued_asset_events(self, dag_id: str) -> int:
        try:
            return self.request("GET", f"/dags/{dag_id}/assets/queuedEvents").get("total_entries", 0)
        except AirflowApiError as exc:
            if "404" in str(exc):  # nothing queued
                return 0
            raise

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        data = self.request("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", params={"limit": 500})
        return data["task_instances"]

    def failed_tasks(self, dag_id: str, run_id: str) -> list[str]:
        """One line per failed task: its id (and map index), the end of its log, and the log file."""
        lines = []
        for ti in self.task_instances(dag_id, run_id):
            if ti["state"] not in ("failed", "upstream_failed"):
                continue
            label = ti["task_id"] + (
                f"[{ti['rendered_map_index'] or ti['map_index']}]" if ti["map_index"] >= 0 else ""
            )
            if ti["state"] == "upstream_failed":
                lines.append(f"{dag_id}.{label}: upstream failed")
                continue
            log_file = self.log_file(dag_id, run_id, ti)
            lines.append(f"{dag_id}.{label} failed: {self.error_of(log_file)} (log: {log_file})")
        return lines

    def log_file(self, dag_id: str, run_id: str, ti: dict[str, Any]) -> Path:
        base = self.settings.state_dir / "airflow" / "logs" / f"dag_id={dag_id}" / f"run_id={run_id}"
        base = base / f"task_id={ti['task_id']}"
        if ti["map_index"] >= 0:
            base = base / f"map_index={ti['map_index']}"
        return base / f"attempt={max(ti.get('try_number') or 1, 1)}.log"

    @staticmethod
    def error_of(log_file: Path) -> str:
        """The last error line of a task log (Airflow 3 writes JSON lines)."""
        import json

        try:
            lines = log_file.read_text(errors="replace").splitlines()
        except OSError:
            return "(log not found)"
        for line in reversed(lines):
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("level") in ("error", "critical"):
                err = event.get("error_detail")
                if err and isinstance(err, list):
                    frame = err[-1]
                    return f"{frame.get('exc_type')}: {frame.get('exc_value')}"[:400]
                return str(event.get("event"))[:400]
        return "(no error line in the log)"

    def wait(self, dag_id: str, run_id: str, timeout: float, progress: float = 15.0) -> DagRun:
        """Wait for one run to finish; a failed run raises naming its failed tasks and their logs."""
        t0 = last = time.monotonic()
        while True:
            run = self.run(dag_id, run_id)
            if run.state in TERMINAL:
                if run.state == "failed":
                    failed = self.failed_tasks(dag_id, run_id)
                    raise AirflowApiError(f"{dag_id} run {run_id} failed:\n  " + "\n  ".join(failed))
                return run
            if time.monotonic() - t0 > timeout:
                raise AirflowApiError(f"{dag_id} run {run_id} still {run.state} after {timeout:.0f}s")
            if time.monotonic() - last > progress:
                last = time.monotonic()
                done = [t for t in self.task_instances(dag_id, run_id) if t["state"] == "success"]
                log.info("%s: %s, %d tasks done (%.0fs)", dag_id, run.state, len(done), time.monotonic() - t0)
            time.sleep(2)

    def wait_settled(
        self, dag_id: str, since: datetime, timeout: float, progress: float = 15.0
    ) -> list[DagRun]:
        """Wait until ``dag_id`` has run since ``since``, nothing of it is queued or running, and no asset
        event waits to trigger it; returns its runs since then (failed ones raise)."""
        t0 = last = time.monotonic()
        quiet = 0
        while True:
            runs = self.runs(dag_id, since)
            active = [r for r in runs if r.state not in TERMINAL]
            queued = self.queued_asset_events(dag_id)
            quiet = quiet + 1 if runs and not active and not queued else 0
            if quiet >= 2:  # two calm looks in a row: the scheduler has nothing more for it
                failed = [r for r in runs if r.state == "failed"]
                if failed:
                    details = [line for r in failed for line in self.failed_tasks(dag_id, r.run_id)]
                    raise AirflowApiError(f"{dag_id} failed:\n  " + "\n  ".join(details))
                return runs
            if time.monotonic() - t0 > timeout:
                raise AirflowApiError(
                    f"{dag_id}: not settled after {timeout:.0f}s "
                    f"({len(active)} active runs, {queued} queued asset events)"
                )
            if time.monotonic() - last > progress:
                last = time.monotonic()
                log.info(
                    "waiting for %s: %d runs, %d active (%.0fs)",
                    dag_id,
                    len(runs),
                    len(active),
                    time.monotonic() - t0,
                )
            time.sleep(3)
