"""Day-by-day replays of merge-commit histories below Airflow: after every daily run, staging holds
exactly the commits reachable from the default branch head of that day (issue 13.1).

Two histories: a slice of pallets/click's real one (45 days from 2026-04-01, release branches merged
with merge commits; committed as tests/ingest/data/click-history.jsonl.gz, made by `osspulse fake-api
import-git`) and the generator's merge-commit repository (long-lived branches, a force-push).
:func:`osspulse_sim.replay.replay_repo` raises on the first day whose staging differs.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from osspulse.tracked import Tracked
from osspulse_sim.generate import DEFAULT_END_DATE, generate
from osspulse_sim.gitimport import dataset_from_history
from osspulse_sim.replay import replay_repo
from tests.ingest.helpers import fast

pytestmark = pytest.mark.integration

CLICK = Path(__file__).parent / "data" / "click-history.jsonl.gz"


def test_replay_of_a_real_merge_commit_history(tmp_path, scratch_db):
    data = tmp_path / "click"
    meta = dataset_from_history(CLICK, data, "pallets/click")
    result = replay_repo(fast(scratch_db), data, "pallets/click", date.fromisoformat(meta["start"]), 45)
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
    assert result.tombstoned == 2  # the two commits the force-push rewrote
    assert sum(result.older[1:]) > 3 and result.found == result.new
    assert sum(result.requests[1:]) <= sum(result.minimum[1:]) + 6
