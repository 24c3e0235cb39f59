"""
### transform_dbt

dbt on Trino (`dbt_project/`): `lake.raw` -> `lake.bronze` -> `lake.silver` -> `lake.gold`, rendered by
astronomer-cosmos as one Airflow task per model with its tests right after it, so a failing model or
test is visible and retryable on its own. A test that reads two models (relationships) is its own
task downstream of both.

* Scheduled on the `lake.raw` asset that `load_iceberg` publishes after each load batch.
* `source_freshness` runs `dbt source freshness` (the `loaded_at_field` of each raw source); a stale
  source fails that task, visibly, without blocking the models.
* `record_health` writes this run's test results and the latest DAG runs to `lake.gold`
  (`dbt_test_results`, `pipeline_runs`) for the dashboard's Data health page, and regenerates the
  dbt docs site (`osspulse docs`). It runs whatever happened upstream; `all_built` keeps the run red
  when a model or test failed.
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
from cosmos.constants import InvocationMode, LoadMode, TestBehavior
from cosmos.operators.local import DbtSourceLocalOperator

from osspulse.orchestration.assets import GOLD, RAW_BATCH

DBT_PROJECT = Path(__file__).resolve().parents[1] / "dbt_project"
DBT_ENV = "{{ ti.xcom_pull(task_ids='dbt_env') }}"
PROFILE = ProfileConfig(
    profile_name="osspulse", target_name="lake", profiles_yml_filepath=DBT_PROJECT / "profiles.yml"
)
# dbt in the task's own process: one Python start-up per model instead of two
EXECUTION = ExecutionConfig(invocation_mode=InvocationMode.DBT_RUNNER)
OPERATOR_ARGS = {"env": DBT_ENV, "append_env": True, "install_deps": False}


@dag(
    dag_id="transform_dbt",
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

    freshness = DbtSourceLocalOperator(
        task_id="source_freshness",
        project_dir=DBT_PROJECT,
        profile_config=PROFILE,
        dbt_executable_path=EXECUTION.dbt_executable_path,
        env=DBT_ENV,
        append_env=True,
        install_deps=False,
        retries=0,
    )

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
            # a relationships test reads two models: it runs as its own task once both are built,
            # instead of inside the first parent's test task (where the other may not exist yet)
            should_detach_multiple_parents_tests=True,
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
    env >> [freshness, models]
    models >> [record_health(), all_built()]


transform_dbt()
