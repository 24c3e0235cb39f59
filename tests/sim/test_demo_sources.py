"""Demo and real data never mix (issue 14): staging records where its rows came from, the ingest refuses
to mix, and `osspulse demo --real-apis` starts clean (naming what it deletes) instead of leaving the
simulator's rows and bookmarks in staging and the lake.

Runs on PostgreSQL and MinIO only, in a scratch staging database and a catalog of its own name (so the
stack's own lake is never touched).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date

import psycopg
import pyarrow as pa
import pytest
from psycopg import sql

from osspulse.ingest.github import ingest_repo
from osspulse.ingest.staging import MixedSourcesError
from osspulse.lake.catalog import load_catalog
from osspulse.settings import Settings, sources_overlay
from osspulse.tracked import Tracked
from osspulse_sim import demo
from osspulse_sim.generate import generate
from osspulse_sim.server import running_simulator

pytestmark = pytest.mark.integration

REPO, DAY = "apache/iceberg-python", date(2026, 11, 1)


@pytest.fixture
def isolated(settings: Settings, tmp_path) -> Iterator[Settings]:
    """Settings with a fresh staging database, their own catalog name and state directory."""
    from osspulse.stack import runner

    runner.up(settings, only=["postgres", "minio"])
    name = f"osspulse_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(settings.pg_dsn("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    s = settings.model_copy(
        update={
            "pg_staging_db": name,
            "catalog_name": f"t_{uuid.uuid4().hex[:10]}",
            "state_dir": tmp_path / "state",
        }
    )
    try:
        yield s
    finally:
        catalog = load_catalog(s)
        for (ns,) in catalog.list_namespaces():
            for table in catalog.list_tables(ns):
                catalog.purge_table(table)
            catalog.drop_namespace(ns)
        with psycopg.connect(settings.pg_dsn("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def _load_into_lake(s: Settings) -> None:
    """What load_iceberg would have done with the staged commits (one raw table)."""
    with psycopg.connect(s.pg_dsn()) as conn:
        shas = [r[0] for r in conn.execute("select sha from staging.github_commits")]
    catalog = load_catalog(s)
    catalog.create_namespace("raw")
    rows = pa.table({"repo": [REPO] * len(shas), "sha": shas})
    location = f"s3://{s.s3_bucket}/tests/{s.catalog_name}/raw/github_commits"
    catalog.create_table("raw.github_commits", schema=rows.schema, location=location).append(rows)


def test_real_apis_after_a_demo_start_clean_and_never_mix(isolated: Settings, tmp_path):
    data = tmp_path / "data"
    generate(data, tracked=Tracked(repos=(REPO,), packages=()))
    demo.use_simulator(isolated, data)  # what `osspulse demo` writes: <state>/sources.env
    with running_simulator(data) as sim:
        ingest_repo(sim.settings_for(isolated, fake_api_data=str(data)), REPO, DAY)
    _load_into_lake(isolated)

    # the real APIs over simulator rows: refused before a single request
    with pytest.raises(MixedSourcesError, match="osspulse demo --real-apis"):
        ingest_repo(isolated, REPO, DAY)
    # --real-apis without --yes names what it would delete, and deletes nothing
    with pytest.raises(demo.DemoError, match=r"staging\.github_commits \(240 rows\).*raw \(1 tables\)"):
        demo.use_real_apis(isolated)
    assert sources_overlay(isolated.state_dir).exists()

    deleted = demo.use_real_apis(isolated, yes=True)
    assert any("github_commits" in d for d in deleted)
    assert not sources_overlay(isolated.state_dir).exists()
    with psycopg.connect(isolated.pg_dsn()) as conn:  # no simulator row (nor bookmark) is left
        assert conn.execute("select to_regclass('staging.github_commits')").fetchone()[0] is None
    assert load_catalog(isolated).list_namespaces() == []  # nor anything in the lake

    # the first real run records its source; the simulator is refused from then on
    from osspulse.ingest import staging

    with staging.connect(isolated) as conn:
        staging.ensure_staging(conn)
        staging.check_source(conn, isolated)
        assert staging.recorded_source(conn)[0] == "real"
    with running_simulator(data) as sim, pytest.raises(MixedSourcesError, match="real GitHub and PyPI"):
        ingest_repo(sim.settings_for(isolated), REPO, DAY)
    assert demo.simulator_data(isolated) == []  # and --real-apis has nothing of the simulator's to delete
