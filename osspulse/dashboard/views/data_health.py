"""Data health: freshness per source, dbt test results and the last DAG runs (all read from gold)."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from osspulse.dashboard import charts, data, formatting, queries
from osspulse.dashboard.gold import RECORDED_TABLES

#: a daily source older than this is shown as stale
STALE_AFTER_HOURS = 36


def render() -> None:
    s = data.settings()
    st.title("Data health")
    docs = s.docs_url
    st.markdown(
        f"[dbt docs]({docs}) (models, tests, lineage; served by `osspulse docs`) · "
        f"[Airflow]({s.airflow_url}) (DAG runs, logs)"
    )
    data.prefetch(queries.health_sources(data.table), data.reader().tables_query(RECORDED_TABLES))
    _freshness()
    recorded = data.recorded_tables()
    if recorded is None:
        return
    _dbt_tests(recorded)
    _pipeline_runs(recorded)


def freshness_table(frame: pd.DataFrame, now: datetime) -> pd.DataFrame:
    """Per raw entity: when it was last fetched, how long ago, and whether bronze has caught up."""
    out = frame.copy()
    fetched = pd.to_datetime(out["latest_fetched_at"], utc=True)
    age_hours = (pd.Timestamp(now) - fetched).dt.total_seconds() / 3600
    out["age_hours"] = age_hours.round(1)
    out["status"] = [
        "no load" if pd.isna(a) else ("stale" if a > STALE_AFTER_HOURS else "fresh") for a in age_hours
    ]
    behind = out["bronze_loaded_through"].isna() | (out["bronze_loaded_through"] < out["latest_load_date"])
    out.loc[behind, "status"] = out.loc[behind, "status"] + ", bronze behind raw"
    return out


def _freshness() -> None:
    st.subheader("Freshness per source")
    frame = data.fetch(queries.health_sources(data.table), "source freshness")
    if frame is None:
        return
    if frame.empty:
        st.info("No raw table has been loaded yet.")
        return
    now = datetime.now(UTC)
    table = freshness_table(frame, now)
    st.caption(
        "From lake.gold.data_health_sources (Iceberg partition statistics of lake.raw). Stale: last "
        f"fetched more than {STALE_AFTER_HOURS} h ago (sources load daily); bronze behind raw: dbt has not "
        "merged the latest load yet."
    )
    shown = table.assign(
        latest_fetched_at=pd.to_datetime(table["latest_fetched_at"], utc=True).dt.strftime(
            "%Y-%m-%d %H:%M UTC"
        ),
        age=[
            formatting.ago(None if pd.isna(x) else x.to_pydatetime(), now)
            for x in pd.to_datetime(table["latest_fetched_at"], utc=True)
        ],
    )[
        [
            "source_system",
            "entity",
            "status",
            "latest_load_date",
            "latest_fetched_at",
            "age",
            "bronze_loaded_through",
            "load_dates",
            "raw_rows",
        ]
    ]
    st.table(shown.set_index(["source_system", "entity"]))
    charts.download(table, key="freshness", file_name="freshness-per-source")


def _dbt_tests(recorded: set[str]) -> None:
    st.subheader("dbt test results")
    if "dbt_test_results" not in recorded:
        st.info(
            "No dbt test results recorded yet: the transform_dbt DAG writes lake.gold.dbt_test_results at "
            "the end of each run."
        )
        return
    t = data.table
    latest = data.fetch(queries.dbt_tests_latest(t), "the latest dbt test results")
    if latest is None:
        return
    if latest.empty:
        st.info("No dbt test results recorded yet: lake.gold.dbt_test_results is empty.")
        return
    counts = latest["status"].value_counts()
    when = pd.Timestamp(latest["generated_at"].max())
    st.caption(f"Latest run {latest['invocation_id'].iloc[0]} at {when:%Y-%m-%d %H:%M} UTC.")
    failed = int(counts.get("fail", 0) + counts.get("error", 0))
    warned, skipped = int(counts.get("warn", 0)), int(counts.get("skipped", 0))
    a, b, c, d, e = st.columns(5)
    a.metric("Tests", len(latest))
    b.metric("Passed", int(counts.get("pass", 0)))
    c.metric("Failed or errored", failed)
    d.metric("Warnings", warned)
    e.metric("Skipped", skipped, help="Not run, e.g. because a model they test failed or was skipped")
    if failed == warned == 0:
        st.success("No test failed or warned." + (f" {skipped} skipped." if skipped else ""))
    not_passed = latest[latest["status"] != "pass"]
    if not not_passed.empty:
        st.markdown("**Tests that did not pass** (failures first)")
        st.dataframe(not_passed, hide_index=True)
    charts.download(latest, key="dbt-tests", file_name="dbt-test-results-latest")
    history = data.fetch(queries.dbt_tests_history(t), "dbt test history")
    if history is not None and len(history) > 1:
        ordered = history.sort_values("generated_at")
        fig = charts.bars(
            ordered,
            "generated_at",
            {"passed": "passed", "failed": "failed", "warned": "warned"},
            stacked=True,
        )
        charts.show(fig, ordered, key="dbt-history", file_name="dbt-test-history")


def _pipeline_runs(recorded: set[str]) -> None:
    st.subheader("Last DAG runs")
    if "pipeline_runs" not in recorded:
        st.info(
            "No DAG runs recorded yet: the transform_dbt DAG writes lake.gold.pipeline_runs at the end of "
            "each run. The Airflow UI (linked above) has every run meanwhile."
        )
        return
    t = data.table
    latest = data.fetch(queries.pipeline_latest(t), "the last DAG runs")
    if latest is None:
        return
    if latest.empty:
        st.info("No DAG runs recorded yet: lake.gold.pipeline_runs is empty.")
        return
    st.table(latest.set_index("dag_id"))
    charts.download(latest, key="dag-latest", file_name="dag-runs-latest")
    recent = data.fetch(queries.pipeline_recent(t), "recent DAG runs")
    if recent is not None and not recent.empty:
        with st.expander(f"The {len(recent)} most recent runs"):
            st.dataframe(recent, hide_index=True)
            charts.download(recent, key="dag-recent", file_name="dag-runs-recent")
