"""The transform: one ``dbt build`` of the whole project, as the ``transform_dbt`` DAG's ``dbt_build`` task
runs it.

1. ``dbt source freshness``. A source past its ``error_after`` holds back the models that read nothing
   but stale sources (and, in turn, what reads nothing but held-back models): they are left out of the
   build, so gold keeps its last good figures instead of being rebuilt on data that stopped arriving. A
   model that also reads a fresh input is built. A warning (``warn_after``) holds back nothing.
2. ``dbt build`` of everything else, ``OSSPULSE_DBT_THREADS`` at a time: each model, then its data tests
   before anything reads it. Unit tests are left out: they check SQL logic on fixed inputs, not the day's
   data, so CI runs them (``make test``), as dbt advises, instead of every daily run.
3. The run's artifacts (``run_results.json``, ``sources.json``, ``manifest.json``) stay in
   :func:`osspulse.orchestration.health.artifacts_dir` for ``record_health`` (the Data health page).

The task fails when a model or test failed or a source was stale, naming them; what could be built is
built either way. Why one task rather than a task per model (astronomer-cosmos): docs/dbt.md.
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from osspulse.settings import Settings
from osspulse.transform.dbt import PROJECT_DIR, DbtTarget, run_dbt

log = logging.getLogger(__name__)

#: freshness statuses that hold readers back (dbt's ``warn`` is a warning, ``runtime error`` a source
#: never loaded: the Data health page says "no data" for it)
STALE = frozenset({"error"})
#: dbt statuses of a node that did not do its job
FAILED = frozenset({"error", "fail", "runtime error"})


def held_back(manifest: dict[str, Any], sources_json: dict[str, Any]) -> list[str]:
    """Unique ids of the models that read nothing but stale sources or other held-back models (pure).

    ``sources_json`` is dbt's ``sources.json`` from ``dbt source freshness``; tests and seeds are never
    held back here (dbt leaves out the tests of a model it does not build).
    """
    stale = {r["unique_id"] for r in sources_json.get("results", []) if r.get("status") in STALE}
    if not stale:
        return []
    models = {
        uid: set(node.get("depends_on", {}).get("nodes", []))
        for uid, node in manifest.get("nodes", {}).items()
        if node.get("resource_type") == "model"
    }
    skipped: set[str] = set()
    changed = True
    while changed:  # to a fixed point: a model is held back once every input it reads is
        changed = False
        for uid, inputs in models.items():
            if uid not in skipped and inputs and inputs <= stale | skipped:
                skipped.add(uid)
                changed = True
    return sorted(skipped)


def failed_nodes(run_results: dict[str, Any]) -> list[str]:
    """``unique_id (status)`` of every node that errored or failed (pure)."""
    return [
        f"{r['unique_id']} ({r.get('status')})"
        for r in run_results.get("results", [])
        if r.get("status") in FAILED
    ]


@dataclass
class BuildReport:
    artifacts: Path
    stale_sources: list[str] = field(default_factory=list)
    held_back: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    returncode: int = 0

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.stale_sources and not self.failed

    @property
    def settled(self) -> bool:
        """The problems are in the data (a stale source, a failing test), not in running dbt: a retry on
        the same data would end the same way."""
        return bool(self.stale_sources or self.failed) and all(f.endswith("(fail)") for f in self.failed)

    def raise_for_problems(self) -> None:
        if self.ok:
            return
        problems = []
        if self.stale_sources:
            problems.append(
                f"stale sources {', '.join(self.stale_sources)} (not loaded within their error_after; "
                f"models held back, gold keeps their last figures: {', '.join(self.held_back) or 'none'})"
            )
        if self.failed:
            problems.append(f"failed: {', '.join(self.failed)}")
        if self.returncode and not self.failed:
            problems.append(f"dbt exited with {self.returncode} (see the log above)")
        raise RuntimeError(
            f"the dbt build finished with problems: {'; '.join(problems)}. Results of every node: "
            f"{self.artifacts / 'run_results.json'} and the Data health page."
        )


def _read(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.is_file() else {}


def build(s: Settings, artifacts: Path, *, run_tag: str = "airflow") -> BuildReport:
    """Freshness, then one ``dbt build``; the artifacts are kept in ``artifacts`` (see the module doc)."""
    work = artifacts / "work"
    target = DbtTarget(workdir=work, run_tag=run_tag, extra_env={"DBT_EXCLUDE_RESOURCE_TYPES": "unit_test"})
    (work / "target").mkdir(parents=True, exist_ok=True)
    parsed = PROJECT_DIR / "target" / "partial_parse.msgpack"  # `stack up` keeps it current
    if parsed.is_file():
        shutil.copyfile(parsed, work / "target" / "partial_parse.msgpack")
    report = BuildReport(artifacts)

    freshness = run_dbt(s, ["source", "freshness"], target)
    sources_json = _read(work / "target" / "sources.json")
    if not sources_json:
        raise RuntimeError(
            f"`dbt source freshness` wrote no sources.json (exit code {freshness.returncode}): see the log "
            "above; is Trino up (`osspulse stack status`)?"
        )
    report.stale_sources = sorted(
        r["unique_id"] for r in sources_json.get("results", []) if r.get("status") in STALE
    )
    manifest = _read(work / "target" / "manifest.json")
    report.held_back = held_back(manifest, sources_json)
    exclude = [manifest["nodes"][uid]["name"] for uid in report.held_back]
    if report.stale_sources:
        log.warning("stale sources %s: holding back %s", report.stale_sources, exclude or "no model")

    (work / "target" / "run_results.json").unlink(missing_ok=True)  # freshness wrote its own
    args = ["build"] + (["--exclude", *exclude] if exclude else [])
    done = run_dbt(s, args, target)
    report.returncode = done.returncode
    for name in ("run_results.json", "sources.json", "manifest.json"):
        produced = work / "target" / name
        if produced.is_file():
            shutil.copyfile(produced, artifacts / name)
    report.failed = failed_nodes(_read(artifacts / "run_results.json"))
    log.info(
        "dbt build: exit code %d in %.0fs; %d failed, %d held back",
        done.returncode,
        done.seconds,
        len(report.failed),
        len(report.held_back),
    )
    return report
