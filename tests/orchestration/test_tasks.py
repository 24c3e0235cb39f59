"""The decisions of the Airflow task bodies, on hand-made contexts (no Airflow, no services)."""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace

import pendulum
import pytest

from osspulse.orchestration import tasks
from osspulse.orchestration.assets import STAGING_BATCH
from osspulse.settings import get_settings


@pytest.fixture
def tracked_file(tmp_path, monkeypatch):
    def write(text: str):
        path = tmp_path / "tracked.yml"
        path.write_text(text)
        monkeypatch.setenv("OSSPULSE_TRACKED", str(path))
        get_settings.cache_clear()
        return path

    yield write
    get_settings.cache_clear()


def test_load_date_is_the_param_else_the_interval_start_else_the_request_day():
    start = pendulum.datetime(2026, 11, 19, tz="UTC")
    assert tasks.load_date_for({"params": {"load_date": "2026-11-01"}}) == date(2026, 11, 1)
    assert tasks.load_date_for({"params": {}, "data_interval_start": start}) == date(2026, 11, 19)
    run = SimpleNamespace(run_after=datetime(2026, 11, 30, 23, 59, tzinfo=pendulum.UTC))
    assert tasks.load_date_for({"params": {}, "dag_run": run}) == date(2026, 11, 30)


def test_a_batch_takes_the_tracked_set_and_either_side_may_be_empty(tracked_file):
    tracked_file("repos: [apache/iceberg]\n")
    batch = tasks.plan_ingest({"params": {"load_date": "2026-11-20"}})
    assert batch == {"load_date": "2026-11-20", "repos": ["apache/iceberg"], "packages": []}
    tracked_file("packages: [pyiceberg]\n")
    batch = tasks.plan_ingest({"params": {"load_date": "2026-11-20"}})
    assert (batch["repos"], batch["packages"]) == ([], ["pyiceberg"])


def test_params_choose_the_batch_and_its_sources(tracked_file):
    tracked_file("repos: [apache/iceberg]\npackages: [pyiceberg]\n")
    params = {"load_date": "2026-11-20", "repos": ["a/b"], "sources": ["github"]}
    batch = tasks.plan_ingest({"params": params})
    assert (batch["repos"], batch["packages"]) == (["a/b"], [])


def test_an_empty_tracked_set_fails_at_once_with_a_clear_message(tracked_file):
    from airflow.sdk.exceptions import AirflowFailException

    path = tracked_file("repos: []\npackages: []\n")
    with pytest.raises(AirflowFailException, match="nothing to ingest") as exc:
        tasks.plan_ingest({"params": {"load_date": "2026-11-20"}})
    assert str(path) in str(exc.value)


def test_an_invalid_tracked_set_fails_at_once_naming_the_line(tracked_file):
    from airflow.sdk.exceptions import AirflowFailException

    tracked_file("repos:\n  - not a repo\n")
    with pytest.raises(AirflowFailException, match="line 2"):
        tasks.plan_ingest({"params": {"load_date": "2026-11-20"}})


def test_the_batch_event_names_the_entities_of_the_sources_that_ran():
    batch = {"load_date": "2026-11-20", "repos": ["a/b"], "packages": []}
    reports = [{"target": "a/b", "ok": True}, None]
    extra = tasks.batch_extra(batch, reports)
    assert extra["sources"] == ["github"] and extra["targets_ok"] == ["a/b"]
    assert "github_commits" in extra["entities"] and "pypi_downloads" not in extra["entities"]
    both = tasks.batch_extra({**batch, "packages": ["p"]}, [])
    assert {"github_commits", "pypi_downloads"} <= set(both["entities"])


def _event(extra: dict):
    return SimpleNamespace(extra=extra)


def test_a_load_plans_the_union_of_the_batches_that_queued_up(monkeypatch):
    monkeypatch.setattr("osspulse.lake.spark.jar_paths", lambda s: ["/x.jar"])
    events = {
        STAGING_BATCH: [
            _event({"load_date": "2026-11-19", "entities": ["github_commits"]}),
            _event({"load_date": "2026-11-21", "entities": ["pypi_downloads"]}),
        ]
    }
    plan = tasks.plan_load({"params": {}, "triggering_asset_events": events})
    assert (plan["start"], plan["end"]) == ("2026-11-19", "2026-11-22")
    assert plan["entities"] == ["github_commits", "pypi_downloads"]


def test_a_manual_load_takes_its_params_or_every_entity(monkeypatch):
    from osspulse.entities import ENTITIES

    monkeypatch.setattr("osspulse.lake.spark.jar_paths", lambda s: ["/x.jar"])
    plan = tasks.plan_load({"params": {"start": "2026-11-01", "end": "2026-11-08", "entities": []}})
    assert (plan["start"], plan["end"]) == ("2026-11-01", "2026-11-08")
    assert plan["entities"] == sorted(e.name for e in ENTITIES)
    one_day = tasks.plan_load({"params": {"start": "2026-11-01", "entities": ["github_repos"]}})
    assert (one_day["end"], one_day["entities"]) == ("2026-11-02", ["github_repos"])


def test_the_backfill_command_runs_one_day_at_a_time_and_reruns_days_already_run():
    from osspulse.cli import backfill_command

    cmd = backfill_command("2026-11-01", "2026-11-10")
    assert cmd[:4] == ["backfill", "create", "--dag-id", "ingest"]
    options = dict(zip(cmd[4::2], cmd[5::2], strict=True))
    assert options == {
        "--from-date": "2026-11-01",
        "--to-date": "2026-11-10",
        "--max-active-runs": "1",  # Airflow 3 would run up to 10 at once
        "--reprocess-behavior": "completed",
    }
    assert backfill_command("2026-11-01", "2026-11-01", dry_run=True)[-1] == "--dry-run"
