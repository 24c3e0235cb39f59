"""Staging -> lake.raw on the real stack: exact windows, idempotence, rejects, audit, drift, kill safety."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime

import psycopg
import pytest

from osspulse.entities import entity
from osspulse.lake.catalog import load_catalog
from osspulse.lake.storage import s3_client
from osspulse.lake.trino import trino_connection
from osspulse.load import raw
from tests.helpers import naive_utc

pytestmark = pytest.mark.integration

D1, D2, D3 = date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)
COMMITS = entity("github_commits")


def payload(sha: str, author_date: str = "2026-02-28T23:30:00-05:00") -> str:
    return json.dumps(
        {
            "sha": sha,
            "author": {"login": f"user{int(sha[1:]) % 7}"} if sha[1:].isdigit() else None,
            "commit": {
                "author": {"name": "N", "email": "n@example.org", "date": author_date},
                "committer": {"date": "2026-03-01T04:30:00Z"},
                "message": "x" * 50,
            },
        }
    )


def stage(s, rows: list[tuple[str, str, date]]) -> None:
    """Upsert (sha, payload, load_date) rows into staging.github_commits of the scratch database."""
    with psycopg.connect(s.pg_dsn()) as conn:
        conn.execute("create schema if not exists staging")
        conn.execute(COMMITS.staging_ddl())
        with conn.cursor() as cur:
            cur.executemany(
                "insert into staging.github_commits (repo, sha, payload, load_date, fetched_at) "
                "values ('o/r', %s, %s, %s, %s) on conflict (repo, sha) do update set "
                "payload = excluded.payload, load_date = excluded.load_date, "
                "fetched_at = excluded.fetched_at",
                [(sha, body, d, datetime(d.year, d.month, d.day, 6, tzinfo=UTC)) for sha, body, d in rows],
            )


def staged_keys(s, start: date, end: date) -> set[str]:
    with psycopg.connect(s.pg_dsn()) as conn:
        rows = conn.execute(
            "select sha from staging.github_commits where load_date >= %s and load_date < %s", (start, end)
        ).fetchall()
    return {r[0] for r in rows}


def lake_keys(spark, s, ns: str, start: date, end: date) -> list[str]:
    rows = spark.sql(
        f"select sha from {s.catalog_name}.{ns}.github_commits "
        f"where load_date >= date '{start}' and load_date < date '{end}'"
    ).collect()
    return sorted(r.sha for r in rows)


@pytest.fixture
def staged_two_days(scratch_db):
    stage(scratch_db, [(f"c{i}", payload(f"c{i}"), D1 if i % 2 else D2) for i in range(40)])
    return scratch_db


def test_window_is_replaced_exactly_and_reruns_change_nothing(spark, staged_two_days, lake_namespace):
    s, ns = staged_two_days, lake_namespace
    first = raw.load(spark, s, ["github_commits"], D1, D3, ns)[0]
    assert (first.rows_read, first.rows_written, first.rows_rejected) == (40, 40, 0)
    assert lake_keys(spark, s, ns, D1, D3) == sorted(staged_keys(s, D1, D3))
    table = f"{s.catalog_name}.{ns}.github_commits"
    before = sorted(tuple(r) for r in spark.table(table).drop("fetched_at", "loaded_at").collect())

    # the same window twice, and overlapping windows, never duplicate
    raw.load(spark, s, ["github_commits"], D1, D3, ns)
    raw.load(spark, s, ["github_commits"], D1, D2, ns)
    raw.load(spark, s, ["github_commits"], D2, D3, ns)
    after = sorted(tuple(r) for r in spark.table(table).drop("fetched_at", "loaded_at").collect())
    assert after == before

    # a one-day window only touches that day (the seed system replaced a whole partition with an hour)
    stage(s, [("c100", payload("c100"), D1)])
    result = raw.load(spark, s, ["github_commits"], D1, D2, ns)[0]
    assert result.rows_read == 21
    assert lake_keys(spark, s, ns, D1, D2) == sorted(staged_keys(s, D1, D2))
    assert lake_keys(spark, s, ns, D2, D3) == sorted(staged_keys(s, D2, D3))

    audit = spark.sql(
        f"select * from {s.catalog_name}.ops.load_audit where namespace = '{ns}' order by finished_at"
    ).collect()
    assert len(audit) == 5
    assert audit[-1].rows_read == 21 and audit[-1].snapshot_id == result.snapshot_id
    assert all(a.rows_read == a.rows_written + a.rows_rejected for a in audit)


def test_engines_read_the_same_rows(spark, staged_two_days, lake_namespace):
    s, ns = staged_two_days, lake_namespace
    raw.load(spark, s, ["github_commits"], D1, D3, ns)
    with trino_connection(s) as conn:
        cur = conn.cursor()
        cur.execute(f"select sha, author_date from {s.catalog_name}.{ns}.github_commits")
        trino_rows = sorted((sha, ts.replace(tzinfo=None)) for sha, ts in cur.fetchall())
    arrow = load_catalog(s).load_table(f"{ns}.github_commits").scan(selected_fields=("sha", "author_date"))
    pyiceberg_rows = sorted(
        (r["sha"], r["author_date"].replace(tzinfo=None)) for r in arrow.to_arrow().to_pylist()
    )
    spark_rows = sorted(
        (r.sha, r.author_date) for r in spark.table(f"{s.catalog_name}.{ns}.github_commits").collect()
    )
    assert len(spark_rows) == 40
    assert trino_rows == pyiceberg_rows == spark_rows
    # -05:00 at 23:30 on the last day of February is 04:30 UTC on March 1st
    assert {ts for _, ts in spark_rows} == {naive_utc(2026, 3, 1, 4, 30)}


def test_a_window_read_in_hash_buckets_is_every_row_once(spark, staged_two_days):
    """A big window is read by several JDBC queries, one hash bucket of the key each; a small one by one."""
    s = staged_two_days
    sizes = (0, 1, 100_000, 100_001, 250_000, 10_000_000)
    assert [raw.jdbc_partitions(n) for n in sizes] == [1, 1, 1, 2, 3, 4]
    whole = raw.read_staging(spark, s, COMMITS, D1, D3, partitions=1)
    bucketed = raw.read_staging(spark, s, COMMITS, D1, D3, partitions=3)
    assert (whole.rdd.getNumPartitions(), bucketed.rdd.getNumPartitions()) == (1, 3)
    keys = sorted(r.sha for r in bucketed.select("sha").collect())
    assert keys == sorted(r.sha for r in whole.select("sha").collect()) == sorted(staged_keys(s, D1, D3))
    assert len(keys) == 40


def test_empty_window_writes_nothing_and_says_so(spark, staged_two_days, lake_namespace, caplog):
    s, ns = staged_two_days, lake_namespace
    raw.load(spark, s, ["github_commits"], D1, D3, ns)
    snapshots = spark.sql(f"select count(*) from {s.catalog_name}.{ns}.github_commits.snapshots").first()[0]
    result = raw.load(spark, s, ["github_commits"], date(2026, 4, 1), date(2026, 4, 2), ns)[0]
    assert result.status == "empty" and result.rows_written == 0
    assert "no staged rows" in caplog.text
    assert (
        spark.sql(f"select count(*) from {s.catalog_name}.{ns}.github_commits.snapshots").first()[0]
        == snapshots
    )


def test_bad_payloads_go_to_rejects_and_are_counted(spark, scratch_db, lake_namespace):
    s, ns = scratch_db, lake_namespace
    stage(s, [("c1", payload("c1"), D1), ("c2", payload("c2", "31/02/2026"), D1), ("c3", "[]", D1)])
    result = raw.load(spark, s, ["github_commits"], D1, D2, ns)[0]
    assert (result.rows_read, result.rows_written, result.rows_rejected) == (3, 1, 2)
    rejects = spark.sql(
        f"select record_key, reason from {s.catalog_name}.ops.load_rejects where namespace = '{ns}'"
    ).collect()
    assert sorted(json.loads(r.record_key)["sha"] for r in rejects) == ["c2", "c3"]
    # fixing the payload and reloading moves the row from ops.load_rejects to the table
    stage(s, [("c2", payload("c2"), D1)])
    result = raw.load(spark, s, ["github_commits"], D1, D2, ns)[0]
    assert (result.rows_written, result.rows_rejected) == (2, 1)


def test_new_staging_column_becomes_a_new_iceberg_column_without_rewriting(
    spark, staged_two_days, lake_namespace
):
    s, ns = staged_two_days, lake_namespace
    raw.load(spark, s, ["github_commits"], D1, D3, ns)
    table = f"{s.catalog_name}.{ns}.github_commits"
    d2_files = {r.file_path for r in spark.sql(f"select file_path, partition from {table}.files").collect()
                if r.partition.load_date == D2}  # fmt: skip
    with psycopg.connect(s.pg_dsn()) as conn:
        conn.execute("alter table staging.github_commits add column api_version text")
        conn.execute(
            "update staging.github_commits set api_version = '2022-11-28' where load_date = %s", (D1,)
        )
    raw.load(spark, s, ["github_commits"], D1, D2, ns)
    assert "api_version" in spark.table(table).columns
    assert {r.api_version for r in spark.table(table).where(f"load_date = date '{D1}'").collect()} == {
        "2022-11-28"
    }
    assert {r.api_version for r in spark.table(table).where(f"load_date = date '{D2}'").collect()} == {None}
    d2_after = {r.file_path for r in spark.sql(f"select file_path, partition from {table}.files").collect()
                if r.partition.load_date == D2}  # fmt: skip
    assert d2_after == d2_files  # the other partition's data files were not rewritten


def test_killed_job_leaves_the_previous_snapshot_and_a_rerun_succeeds(spark, scratch_db, lake_namespace):
    s, ns = scratch_db, lake_namespace
    stage(s, [(f"c{i}", payload(f"c{i}"), D1) for i in range(20)])
    raw.load(spark, s, ["github_commits"], D1, D2, ns)
    table = f"{s.catalog_name}.{ns}.github_commits"
    snapshot_before = spark.sql(
        f"select snapshot_id from {table}.snapshots order by committed_at desc"
    ).first()[0]
    # enough new rows that the write spans several tasks on two cores
    big = [(f"k{i}", payload(f"k{i}") + " " * 400, D1) for i in range(120_000)]
    for chunk in range(0, len(big), 20_000):
        stage(s, big[chunk : chunk + 20_000])
    prefix = f"{ns}/github_commits"
    s3 = s3_client(s)

    def data_files() -> int:
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=s.s3_bucket, Prefix=prefix)
        return sum(1 for page in pages for obj in page.get("Contents", []) if obj["Key"].endswith(".parquet"))

    files_before = data_files()
    env = {**os.environ, "OSSPULSE_PG_STAGING_DB": s.pg_staging_db}
    cmd = [sys.executable, "-m", "osspulse.cli", "load", "--entity", "github_commits",
           "--start", str(D1), "--end", str(D2), "--namespace", ns]  # fmt: skip
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 180
    while data_files() == files_before:  # wait until the job has written data files but not committed
        assert proc.poll() is None, "the load finished before it could be killed; make the batch bigger"
        assert time.monotonic() < deadline
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    spark.catalog.clearCache()
    spark.sql(f"refresh table {table}")
    snapshot_after = spark.sql(
        f"select snapshot_id from {table}.snapshots order by committed_at desc"
    ).first()[0]
    assert snapshot_after == snapshot_before
    assert spark.table(table).count() == 20  # readable and unchanged
    result = raw.load(spark, s, ["github_commits"], D1, D2, ns)[0]
    assert result.rows_written == 120_020
    assert spark.table(table).count() == 120_020


def test_unknown_staging_table_fails_with_a_clear_message(spark, scratch_db, lake_namespace):
    with pytest.raises(raw.LoadError, match="run the ingest for github first"):
        raw.load(spark, scratch_db, ["github_releases"], D1, D2, lake_namespace)


def test_inverted_window_is_refused(spark, scratch_db, lake_namespace):
    with pytest.raises(raw.LoadError, match="--end must be after --start"):
        raw.load(spark, scratch_db, ["github_commits"], D2, D1, lake_namespace)
