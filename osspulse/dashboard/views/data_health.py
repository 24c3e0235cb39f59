"""Data health: freshness per source, dbt test results and the last DAG runs (all read from gold:
data_health_sources, data_health_dbt_tests / _dbt_test_runs, data_health_dag_runs)."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from osspulse.dashboard import charts, data, formatting, queries


def render() -> None:
    s = data.settings()
    st.title("Data health")
    docs = s.docs_url
    st.markdown(
        f"[dbt docs]({docs}) (models, tests, lineage; served by `osspulse docs`) · "
        f"[Airflow]({s.airflow_url}) (DAG runs, logs)"
    )
    t = data.table
    data.prefetch(
        queries.health_sources(t),
        queries.dbt_tests_latest(t),
        queries.dbt_tests_history(t),
        queries.pipeline_latest(t),
        queries.pipeline_recent(t),
    )
    _freshness()
    _dbt_tests()
    _pipeline_runs()


def _freshness() -> None:
    st.subheader("Freshness per source")
    frame = data.fetch(queries.health_sources(data.table), "source freshness")
    if frame is None:
        return
    if frame.empty:
        st.info("No raw table has been loaded yet.")
        return
    now = datetime.now(UTC)
    st.caption(
        "From lake.gold.data_health_sources. Status: fresh; stale (not loaded for longer than its limit: "
        "36 h, 60 h for pypistats, which publishes a day once it is over); no data (loaded, but the source "
        "has none -- repositories with issues disabled or without releases: not an error); never loaded. "
        "Bronze behind raw: dbt has not merged the latest load yet."
    )
    loaded = pd.to_datetime(frame["last_loaded_at"], utc=True)
    shown = frame.assign(
        last_loaded_at=loaded.dt.strftime("%Y-%m-%d %H:%M UTC"),
        age=[formatting.ago(None if pd.isna(x) else x.to_pydatetime(), now) for x in loaded],
    )[
        [
            "source_system",
            "entity",
            "status",
            "last_loaded_at",
            "age",
            "latest_load_date",
            "bronze_behind_raw",
            "load_dates",
            "raw_rows",
        ]
    ]
    st.table(shown.set_index(["source_system", "entity"]))
    charts.download(frame, key="freshness", file_name="freshness-per-source")


def _dbt_tests() -> None:
    st.subheader("dbt test results")
    t = data.table
    latest = data.fetch(queries.dbt_tests_latest(t), "the latest dbt test results")
    if latest is None:
        return
    if latest.empty:
        st.info(
            "No dbt test results recorded yet: the transform_dbt DAG records them (lake.ops.dbt_results) at "
            "the end of each run."
        )
        return
    history = data.fetch(queries.dbt_tests_history(t), "dbt test history")
    run = history.iloc[0] if history is not None and not history.empty else None
    when = pd.Timestamp(latest["generated_at"].max())
    st.caption(f"Latest run {latest['run_id'].iloc[0]} at {when:%Y-%m-%d %H:%M} UTC.")
    if run is not None:
        failed, warned, skipped = int(run.failed), int(run.warned), int(run.skipped)
        a, b, c, d, e = st.columns(5)
        a.metric("Tests", int(run.tests))
        b.metric("Passed", int(run.passed))
        c.metric("Failed or errored", failed)
        d.metric("Warnings", warned)
        e.metric("Skipped", skipped, help="Not run, e.g. because a model they test failed or was skipped")
        models_failed = int(run.models_failed)
        if models_failed:
            st.error(f"{models_failed} model(s) failed to build in this run: their tests were skipped.")
        elif failed == warned == 0:
            st.success("No test failed or warned." + (f" {skipped} skipped." if skipped else ""))
    not_passed = latest[latest["status"] != "pass"]
    if not not_passed.empty:
        st.markdown("**Tests that did not pass** (failures first)")
        st.dataframe(not_passed, hide_index=True)
    charts.download(latest, key="dbt-tests", file_name="dbt-test-results-latest")
    if history is not None and len(history) > 1:
        ordered = history.sort_values("generated_at")
        fig = charts.bars(
            ordered,
            "generated_at",
            {"passed": "passed", "failed": "failed", "warned": "warned"},
            stacked=True,
        )
        charts.show(fig, ordered, key="dbt-history", file_name="dbt-test-history")


def _pipeline_runs() -> None:
    st.subheader("Last DAG runs")
    t = data.table
    latest = data.fetch(queries.pipeline_latest(t), "the last DAG runs")
    if latest is None:
        return
    if latest.empty:
        st.info(
            "No DAG runs recorded yet: the transform_dbt DAG records them (lake.ops.pipeline_runs) at the "
            "end of each run. The Airflow UI (linked above) has every run meanwhile."
        )
        return
    st.table(latest.set_index("dag_id"))
    charts.download(latest, key="dag-latest", file_name="dag-runs-latest")
    recent = data.fetch(queries.pipeline_recent(t), "recent DAG runs")
    if recent is not None and not recent.empty:
        with st.expander(f"The {len(recent)} most recent runs"):
            st.dataframe(recent, hide_index=True)
            charts.download(recent, key="dag-recent", file_name="dag-runs-recent")
