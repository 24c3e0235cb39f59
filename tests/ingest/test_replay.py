"""Day-by-day replays of merge-commit histories below Airflow: after every daily run, staging holds
exactly the commits reachable from the default branch head of that day (issue 13.1).

Two histories: a slice of pallets/click's real one (45 days from 2026-04-01, release branches merged
with merge commits; committed as tests/ingest/data/click-history.jsonl.gz, made by `osspulse fake-api
import-git`) and the generator's merge-commit repository (long-lived branches, a force-push).
:func:`osspulse_sim.replay.replay_repo` raises on the first day whose staging differs.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from osspulse.tracked import Tracked
from osspulse_sim.generate import DEFAULT_END_DATE, generate
from osspulse_sim.gitimport import dataset_from_history
from osspulse_sim.replay import Replay, replay_repo
from tests.ingest.helpers import fast

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def _record(name: str, result: Replay) -> None:
    """Keep the replay's figures (artifacts/replay-<name>.json): requests and commits per day."""
    ARTIFACTS.mkdir(exist_ok=True)
    daily = slice(1, None)
    figures = {
        "days": len(result.days),
        "backfill_requests": result.requests[0],
        "daily_requests": sum(result.requests[daily]),
        "daily_minimum": sum(result.minimum[daily]),
        "new_commits": sum(result.new[daily]),
        "found": sum(result.found[daily]),
        "missed_by_since_bookmark": sum(result.older[daily]),
        "tombstoned": result.tombstoned,
    }
    (ARTIFACTS / f"replay-{name}.json").write_text(json.dumps(figures, indent=2))


pytestmark = pytest.mark.integration

CLICK = Path(__file__).parent / "data" / "click-history.jsonl.gz"


def test_replay_of_a_real_merge_commit_history(tmp_path, scratch_db):
    data = tmp_path / "click"
    meta = dataset_from_history(CLICK, data, "pallets/click")
    result = replay_repo(fast(scratch_db), data, "pallets/click", date.fromisoformat(meta["start"]), 45)
    _record("click", result)
    assert len(result.days) == 45
    assert sum(result.older[1:]) > 10  # merges brought commits older than the previous run
    assert result.found == result.new
    # a daily run costs what it must: nothing when the head stayed, else close to ceil(new/100)
    assert all(r == 0 for r, m in zip(result.requests, result.minimum, strict=True) if m == 0)
    assert sum(result.requests[1:]) <= sum(result.minimum[1:]) + 6


def test_replay_of_the_generated_merge_repository_with_a_force_push(tmp_path, scratch_db):
    data = tmp_path / "gen"
    generate(data, tracked=Tracked(repos=("delta-io/delta",), packages=()))
    first = DEFAULT_END_DATE - timedelta(days=34)
    result = replay_repo(fast(scratch_db), data, "delta-io/delta", first, 35)
    _record("generated", result)
    assert result.tombstoned == 2  # the two commits the force-push rewrote
    assert sum(result.older[1:]) > 3 and result.found == result.new
    assert sum(result.requests[1:]) <= sum(result.minimum[1:]) + 6
