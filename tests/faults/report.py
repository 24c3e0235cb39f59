"""The fault suite's report (artifacts/faults.json, the table of docs/reliability.md) and its assertion."""

from __future__ import annotations

import json
import threading
from datetime import date
from pathlib import Path

from tests.faults.lane import diff

LOAD_DATE = date(2026, 11, 20)
REPORT = Path(__file__).resolve().parents[2] / "artifacts" / "faults.json"
_WRITING = threading.Lock()  # scenarios record from pool threads


def record(fault: str, phase: str, outcome: str, timings: dict[str, float] | None = None) -> None:
    """Append a fault's outcome to artifacts/faults.json (docs/reliability.md is written from it)."""
    with _WRITING:
        REPORT.parent.mkdir(exist_ok=True)
        rows = json.loads(REPORT.read_text()) if REPORT.exists() else []
        rows = [r for r in rows if r["fault"] != fault]
        rows.append({"fault": fault, "phase": phase, "outcome": outcome,
                     "seconds": {k: round(v, 1) for k, v in (timings or {}).items()}})  # fmt: skip
        REPORT.write_text(json.dumps(rows, indent=2))


def assert_gold_equal(expected: dict, actual: dict, fault: str, phase: str, timings: dict | None) -> None:
    """Record the fault's outcome (gold equal to the clean run, or which tables differ), then assert it."""
    mismatches = diff(expected, actual)
    record(fault, phase, "gold equals the clean run" if not mismatches else f"MISMATCH {mismatches}", timings)
    assert not mismatches, mismatches


def markdown_table(rows: list[dict]) -> str:
    """The fault report as the table of docs/reliability.md."""
    lines = ["| Fault | Phase | Outcome | Lane seconds |", "|---|---|---|---|"]
    for r in rows:
        secs = ", ".join(f"{k} {v:.0f}" for k, v in r["seconds"].items()) or "-"
        lines.append(f"| {r['fault']} | {r['phase']} | {r['outcome']} | {secs} |")
    return "\n".join(lines) + "\n"
