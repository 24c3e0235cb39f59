"""
### transform_dbt

dbt on Trino (`dbt_project/`): `lake.raw` -> `lake.bronze` -> `lake.silver` -> `lake.gold`, rendered by
astronomer-cosmos in *watcher* mode: one task (`dbt_producer_watcher`) runs a single `dbt build` of the
whole project (models, then their tests, `threads` at a time), and every model has a task that watches it
and turns green, red or skipped with it, so a failing model or test is still visible on its own in the
graph, without paying a dbt start-up per model.

* Scheduled on the `lake.raw` asset that `load_iceberg` publishes after each load batch.
* The producer first runs `dbt source freshness`: a source that is stale skips only the models that
  read it (and what depends on them); the source's own task shows it.
* `record_health` writes this run's dbt results (from `run_results.json`) and the latest DAG runs to
  `lake.ops` for the dashboard's Data health page, and regenerates the dbt docs site. It runs whatever
  happened upstream; `all_built` keeps the run red when a model or test failed.
* Publishes `lake.gold` when every model and test passed.

The DAG is rendered from `dbt_project/target/manifest.json`, which `osspulse stack up` (and any
`osspulse dbt` command) keeps current; run `osspulse dbt parse` after editing models.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pendulum
from airflow.sdk import dag, task
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, SourceRenderingBehavior, TestBehavior

from osspulse.orchestration.assets import GOLD, RAW_BATCH
from osspulse.orchestration.dag_ids import TRANSFORM

DBT_PROJECT = Path(__file__).resolve().parents[1] / "dbt_project"
DBT_ENV = "{{ ti.xcom_pull(task_ids='dbt_env') }}"
PROFILE = ProfileConfig(
    profile_name="osspulse", target_name="lake", profiles_yml_filepath=DBT_PROJECT / "profiles.yml"
)
# one `dbt build` in the producer task's own process; the per-model tasks only watch it
EXECUTION = ExecutionConfig(execution_mode=ExecutionMode.WATCHER, invocation_mode=InvocationMode.DBT_RUNNER)
OPERATOR_ARGS = {
    "env": DBT_ENV,
    "append_env": True,
    "install_deps": False,
    "poke_interval": 2,
    # keeps run_results.json of the build for record_health (cosmos runs dbt in a temporary copy)
    "callback": "osspulse.orchestration.tasks.keep_dbt_artifacts",
}


@dag(
    dag_id=TRANSFORM,
    schedule=RAW_BATCH,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "osspulse", "retries": 1, "retry_delay": timedelta(minutes=1)},
    tags=["osspulse", "transform", "dbt"],
    doc_md=__doc__,
    render_template_as_native_obj=True,
)
def transform_dbt():
    @task
    def dbt_env() -> dict[str, str]:
        """The profile's environment from the current settings (Trino address, user, catalog, seeds)."""
        from osspulse.orchestration.tasks import dbt_environment

        return dbt_environment()

    models = DbtTaskGroup(
        group_id="dbt",
        project_config=ProjectConfig(
            dbt_project_path=DBT_PROJECT,
            manifest_path=DBT_PROJECT / "target" / "manifest.json",
            project_name="osspulse",
        ),
        profile_config=PROFILE,
        execution_config=EXECUTION,
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            test_behavior=TestBehavior.AFTER_EACH,
            source_rendering_behavior=SourceRenderingBehavior.WITH_TESTS_OR_FRESHNESS,
            emit_datasets=False,
        ),
        operator_args=OPERATOR_ARGS,
    )

    @task(trigger_rule="all_done", retries=0)
    def record_health(**context) -> None:
        from osspulse.orchestration.tasks import record_health as run

        run(context["dag_run"].run_id)

    @task(outlets=[GOLD], retries=0)
    def all_built() -> None:
        """Runs only when every model and test passed (trigger rule all_success): publishes lake.gold."""

    env = dbt_env()
    env >> models
    models >> [record_health(), all_built()]


transform_dbt()
