"""The DAG folder: imports cleanly, every DAG is documented and owned, Assets wire the pipeline."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from osspulse.orchestration.dag_ids import ALERTS, DIGEST, INGEST, LOAD, PIPELINE_DAGS, TRANSFORM

DAGS = Path(__file__).resolve().parents[2] / "dags"


@pytest.fixture(scope="module")
def dagbag(settings):
    from airflow.dag_processing.dagbag import DagBag

    from osspulse.transform.dbt import ensure_dbt_manifest

    ensure_dbt_manifest(settings)  # transform_dbt renders from it (dbt parse: no database needed)

    return DagBag(dag_folder=str(DAGS), known_pools={"default_pool", "github_api", "pypi_api"})


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}


def test_one_dag_per_file_named_like_the_file(dagbag):
    for dag_id, dag in dagbag.dags.items():
        assert Path(dag.fileloc).stem == dag_id
    assert {p.stem for p in DAGS.glob("*.py")} == set(dagbag.dags)


def test_the_dag_folder_holds_exactly_the_pipeline_dags(dagbag):
    assert set(dagbag.dags) == set(PIPELINE_DAGS)


def test_every_dag_has_tags_owner_retries_and_docs(dagbag):
    for dag_id, dag in dagbag.dags.items():
        assert dag.tags, f"{dag_id} has no tags"
        assert dag.doc_md and len(dag.doc_md) > 100, f"{dag_id} has no docs"
        for t in dag.tasks:
            assert t.owner == "osspulse", f"{dag_id}.{t.task_id} owner"
        assert dag.default_args.get("retries", 0) >= 1, f"{dag_id} default retries"


def test_ingest_is_daily_single_run_and_maps_repos_and_packages_on_their_pools(dagbag):
    dag = dagbag.dags[INGEST]
    assert dag.max_active_runs == 1
    assert dag.timetable.description == "At 00:00"  # daily, UTC
    for mapped, pool, entity in (
        ("ingest_repo", "github_api", "staging.github_commits"),
        ("ingest_package", "pypi_api", "staging.pypi_downloads"),
    ):
        task = dag.get_task(mapped)
        assert task.pool == pool
        assert type(task).__name__.endswith("MappedOperator")  # dynamic task mapping
        assert entity in {a.name for a in task.outlets}


def test_assets_make_one_load_and_one_transform_per_batch(dagbag):
    from osspulse.orchestration.assets import GOLD, RAW, RAW_BATCH, STAGING, STAGING_BATCH

    produced = {}
    for dag_id, dag in dagbag.dags.items():
        for t in dag.tasks:
            for asset in t.outlets:
                produced.setdefault(asset.name, set()).add(dag_id)
    assert produced[STAGING_BATCH.name] == {INGEST}
    assert [t.task_id for t in dagbag.dags[INGEST].tasks if STAGING_BATCH in t.outlets] == ["publish_batch"]
    assert produced[RAW_BATCH.name] == {LOAD}
    assert all(produced[a.name] == {INGEST} for a in STAGING.values())
    assert all(produced[a.name] == {LOAD} for a in RAW.values())
    assert produced[GOLD.name] == {TRANSFORM}

    def names(condition) -> set[str]:  # an Asset, or AssetAny/AssetAll of conditions
        nested = getattr(condition, "objects", None)
        return set().union(*(names(c) for c in nested)) if nested is not None else {condition.name}

    def consumed(dag_id: str) -> set[str]:
        return names(dagbag.dags[dag_id].timetable.asset_condition)

    assert consumed(LOAD) == {STAGING_BATCH.name}  # one batch asset: one load run per batch
    assert consumed(TRANSFORM) == {RAW_BATCH.name}
    assert consumed(ALERTS) == {GOLD.name}


def test_transform_dbt_is_one_dbt_build_then_health_and_the_gold_asset(dagbag):
    dag = dagbag.dags[TRANSFORM]
    assert set(dag.task_dict) == {"dbt_build", "record_health", "all_built"}
    assert dag.get_task("dbt_build").downstream_task_ids == {"record_health", "all_built"}
    assert dag.get_task("record_health").trigger_rule == "all_done"  # records a failed build too
    all_built = dag.get_task("all_built")
    assert all_built.trigger_rule == "all_success"  # lake.gold only when every model and test passed
    assert [o.name for o in all_built.outlets] == ["lake.gold"]


def test_load_iceberg_submits_one_spark_application_for_every_entity(dagbag):
    dag = dagbag.dags[LOAD]
    submits = [t for t in dag.tasks if type(t).__name__ == "SparkSubmitOperator"]
    assert [t.task_id for t in submits] == ["load_raw"]  # one JVM start per load run
    assert submits[0].pool == "spark"
    assert submits[0].application.endswith("spark_jobs/load_raw.py")


def test_no_dag_file_does_io_or_trigger_chains_at_top_level():
    forbidden_calls = {"get_settings", "connect", "open", "load_tracked", "urlopen", "get", "post"}
    for path in DAGS.glob("*.py"):
        source = path.read_text()
        assert "TriggerDagRunOperator" not in source, path.name
        tree = ast.parse(source)
        for node in tree.body:  # only module-level statements; task bodies are inside functions
            for call in ast.walk(node):
                if isinstance(node, ast.FunctionDef):
                    break
                if isinstance(call, ast.Call):
                    name = getattr(call.func, "id", getattr(call.func, "attr", ""))
                    assert name not in forbidden_calls, f"{path.name}: top-level call {name}()"


def test_alerts_go_out_after_a_good_transform_with_retries_and_the_digest_on_mondays(dagbag):
    dag = dagbag.dags[ALERTS]
    assert dag.timetable.asset_condition.name == "lake.gold"  # after a transform whose tests all passed
    (deliver,) = dag.tasks
    assert deliver.retries >= 3 and deliver.retry_exponential_backoff
    digest = dagbag.dags[DIGEST]
    assert digest.timetable.description == "At 07:00, only on Monday"
    assert str(digest.timetable._timezone) == "UTC"


@pytest.mark.parametrize("minutes_after_midnight", [1, 40, 143, 600])
def test_turning_ingest_on_waits_for_the_next_midnight(dagbag, monkeypatch, minutes_after_midnight):
    """A stack started after midnight (the demo, the tests, a benchmark) must not also run that
    midnight's ingest beside the one it triggers: Airflow's run_immediately=False still ran it when less
    than 10 % of the day had passed."""
    import pendulum
    from airflow.timetables import trigger
    from airflow.timetables.base import TimeRestriction

    now = pendulum.datetime(2026, 12, 1, tz="UTC").add(minutes=minutes_after_midnight)
    monkeypatch.setattr(trigger, "utcnow", lambda: now)
    info = dagbag.dags[INGEST].timetable.next_dagrun_info(
        last_automated_data_interval=None,
        restriction=TimeRestriction(earliest=None, latest=None, catchup=False),
    )
    assert info.run_after == pendulum.datetime(2026, 12, 2, tz="UTC")
