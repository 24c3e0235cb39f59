"""The dashboard's queries against the real lake.gold, as the read-only dashboard user."""

from __future__ import annotations

from datetime import timedelta

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from osspulse.dashboard import queries
from osspulse.dashboard.filters import DataBounds
from osspulse.dashboard.gold import GoldReader, Query, QueryError
from osspulse.lake.trino import trino_connection
from osspulse.settings import get_settings
from tests.dashboard.test_queries import EVIL, every_query

pytestmark = pytest.mark.integration

REPO, PACKAGE = "apache/iceberg", "pyiceberg"


@pytest.fixture(scope="module")
def reader(gold_stack):
    r = GoldReader(gold_stack)
    yield r
    r.close()


@pytest.fixture(scope="module")
def bounds(reader) -> DataBounds:
    b = DataBounds.from_frame(reader.run(queries.data_bounds(reader.table)))
    if b.empty:
        pytest.fail("lake.gold is empty: run `make demo` (or the transform_dbt DAG) first")
    return b


def etl_scalar(settings, sql: str):
    with trino_connection(settings) as conn:
        cur = conn.cursor()
        cur.execute(sql)
        return cur.fetchall()[0][0]


def realistic(t, b: DataBounds) -> list[Query]:
    start, end = b.github_as_of - timedelta(days=364), b.github_as_of
    built = [
        queries.subjects(t),
        queries.projects(t),
        queries.repo_headlines(t, False),
        queries.package_headlines(t),
        queries.freshness_by_source(t),
        queries.top_contributors(t, REPO, False),
        queries.issue_responsiveness(t, REPO, start, end),
        queries.contributor_absence(t, REPO, start, end),
        queries.repo_snapshots(t, REPO, start, end),
        queries.release_cadence(t, "repository", REPO, start, end),
        queries.release_cadence(t, "package", PACKAGE, start, end),
        queries.download_shares(t, "python", PACKAGE, start, end),
        queries.download_shares(t, "os", PACKAGE, start, end),
        queries.compare_repo_monthly(t, [REPO], start, end),
        queries.compare_package_monthly(t, [PACKAGE], start, end),
        queries.compare_package_releases(t, [PACKAGE], start, end),
        queries.health_sources(t),
    ]
    for grain in queries.GRAINS:
        built += [
            queries.repo_activity(t, REPO, grain, start, end, False),
            queries.package_downloads(t, PACKAGE, grain, start, end),
            queries.compare_repo_activity(t, [REPO], grain, start, end, True),
            queries.compare_repo_stars(t, [REPO], grain, start, end),
            queries.compare_package_downloads(t, [PACKAGE], grain, start, end),
        ]
    return built


def test_every_chart_query_returns_rows_from_gold(reader, bounds):
    """Catches a renamed gold column or table at once (the dbt models are the interface)."""
    for query in realistic(reader.table, bounds):
        frame = reader.run(query)
        assert not frame.empty, f"{query.name} returned no rows"
        assert frame.columns.is_unique, query.name


def test_the_run_records_are_read_through_gold_views(reader):
    """The data health views exist from the first build (empty until transform_dbt records a run)."""
    for build in (queries.dbt_tests_latest, queries.dbt_tests_history):
        reader.run(build(reader.table))
    for build in (queries.pipeline_latest, queries.pipeline_recent):
        reader.run(build(reader.table))


def test_an_injected_filter_value_is_harmless(gold_stack, reader):
    before = etl_scalar(gold_stack, "select count(*) from lake.gold.repo_activity_monthly")
    for query in every_query(reader.table, EVIL):
        frame = reader.run(query)
        carried = [p for p in query.params if p == EVIL or (isinstance(p, list) and EVIL in p)]
        if carried and "subject" in frame:
            assert set(frame["subject"]) <= {REPO}, query.name  # only the honest value of the list matched
        elif carried:
            assert frame.empty, f"{query.name} matched {len(frame)} rows for {EVIL!r}"
    assert etl_scalar(gold_stack, "select count(*) from lake.gold.repo_activity_monthly") == before
    exists = etl_scalar(
        gold_stack,
        "select count(*) from lake.information_schema.tables "
        "where table_schema = 'gold' and table_name = 'repo_activity_monthly'",
    )
    assert exists == 1


def test_the_dashboard_user_reads_gold_only(reader):
    with pytest.raises(QueryError, match="Access Denied.*may read lake.gold only"):
        reader.run(Query("write", "drop table lake.gold.repo_activity_monthly"))
    with pytest.raises(QueryError, match="Access Denied.*may read lake.gold only"):
        reader.run(Query("silver", "select * from lake.silver.fct_commits limit 1"))
    with pytest.raises(QueryError, match="may not be built yet"):
        reader.run(Query("missing", "select * from lake.gold.no_such_table"))


def _page(name: str) -> None:
    from osspulse.dashboard.app import main

    main(name)


@pytest.fixture
def missing_gold(gold_stack, monkeypatch):
    monkeypatch.setenv("OSSPULSE_DASHBOARD_SCHEMA", "no_such_gold")
    get_settings.cache_clear()
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    get_settings.cache_clear()
    st.cache_data.clear()
    st.cache_resource.clear()


def test_a_query_error_is_a_readable_message_on_the_page(missing_gold):
    at = AppTest.from_function(_page, args=("repositories",), default_timeout=60).run()
    assert not at.exception
    message = at.error[0].value
    assert message.startswith("Could not load the data's date range. ")
    assert "Schema 'no_such_gold' does not exist. The gold layer may not be built yet" in message
