"""The staging writer: DDL from the entity specs, upsert semantics, state in the same transaction."""

from __future__ import annotations

from datetime import UTC, date, datetime

import psycopg
import pytest

from osspulse.entities import ENTITIES, entity
from osspulse.ingest import staging
from osspulse.ingest.staging import StreamState

pytestmark = pytest.mark.integration

T1 = datetime(2026, 11, 1, 6, tzinfo=UTC)
T2 = datetime(2026, 11, 2, 6, tzinfo=UTC)


def test_ddl_is_idempotent_and_follows_the_entities(scratch_db):
    with staging.connect(scratch_db) as conn:
        staging._ensured.clear()
        staging.ensure_staging(conn)
        staging._ensured.clear()
        staging.ensure_staging(conn)  # twice: no error
        for e in ENTITIES:
            cols = conn.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'staging' and table_name = %s order by ordinal_position",
                (e.name,),
            ).fetchall()
            assert [c for c, _ in cols] == [*e.key_names, "payload", "load_date", "fetched_at"]
            assert cols[len(e.key)][1] == "jsonb"
            pk = conn.execute(
                "select array_agg(a.attname order by array_position(i.indkey::int2[], a.attnum)) "
                "from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey) "
                "where i.indrelid = %s::regclass and i.indisprimary",
                (e.staging_table,),
            ).fetchone()[0]
            assert tuple(pk) == e.key_names
            owner = conn.execute(
                "select tableowner from pg_tables where schemaname='staging' and tablename=%s", (e.name,)
            )
            assert owner.fetchone()[0] == scratch_db.pg_user
        assert conn.execute("select to_regclass('staging._ingest_state')").fetchone()[0] is not None


def test_upsert_counts_and_keeps_the_first_load_date_of_unchanged_rows(scratch_db):
    commits = entity("github_commits")
    with staging.connect(scratch_db) as conn:
        staging.ensure_staging(conn)
        rows = [(("a/b", "s1"), {"sha": "s1", "x": 1}), (("a/b", "s2"), {"sha": "s2", "x": 1})]
        first = staging.upsert(conn, commits, rows, load_date=date(2026, 11, 1), fetched_at=T1)
        assert (first.inserted, first.updated, first.unchanged) == (2, 0, 0)
        # s1 unchanged (key order in the JSON does not matter), s2 changed, s3 new, s3 twice: last wins
        again = [
            (("a/b", "s1"), {"x": 1, "sha": "s1"}),
            (("a/b", "s2"), {"sha": "s2", "x": 2}),
            (("a/b", "s3"), {"sha": "s3", "x": 0}),
            (("a/b", "s3"), {"sha": "s3", "x": 3}),
        ]
        second = staging.upsert(conn, commits, again, load_date=date(2026, 11, 2), fetched_at=T2)
        assert (second.inserted, second.updated, second.unchanged) == (1, 1, 1)
        got = {
            r[0]: r[1:]
            for r in conn.execute(
                "select sha, load_date, fetched_at, payload->>'x' from staging.github_commits"
            )
        }
    assert got == {
        "s1": (date(2026, 11, 1), T1, "1"),
        "s2": (date(2026, 11, 2), T2, "2"),
        "s3": (date(2026, 11, 2), T2, "3"),
    }


def test_nul_characters_do_not_break_jsonb(scratch_db):
    with staging.connect(scratch_db) as conn:
        staging.ensure_staging(conn)
        counts = staging.upsert(
            conn,
            entity("github_issues"),
            [(("a/b", 1), {"body": "a\x00b"})],
            load_date=date(2026, 11, 1),
            fetched_at=T1,
        )
        assert counts.inserted == 1
        assert conn.execute("select payload->>'body' from staging.github_issues").fetchone()[0] == "a\ufffdb"


def test_state_round_trip_and_rollback_with_the_rows(scratch_db):
    with staging.connect(scratch_db) as conn:
        staging.ensure_staging(conn)
        state = StreamState(
            "github_commits", "a/b", "2026-01-01T00:00:00Z", '"e"', "/x", {"next_url": "/x?page=2"}
        )
        with staging.transaction(conn):
            staging.write_state(conn, state)
        assert staging.read_state(conn, "github_commits", "a/b") == state
        assert staging.read_state(conn, "github_commits", "c/d") == StreamState("github_commits", "c/d")
        with pytest.raises(psycopg.errors.DivisionByZero), staging.transaction(conn):  # a page fails half-way
            staging.upsert(
                conn,
                entity("github_commits"),
                [(("a/b", "z"), {})],
                load_date=date(2026, 11, 1),
                fetched_at=T1,
            )
            staging.write_state(conn, StreamState("github_commits", "a/b", "2027-01-01T00:00:00Z"))
            conn.execute("select 1/0")
        assert staging.read_state(conn, "github_commits", "a/b") == state
        assert conn.execute("select count(*) from staging.github_commits").fetchone()[0] == 0
        staging.reset_state(conn, "a/b", ["github_commits"])
        assert staging.read_state(conn, "github_commits", "a/b").bookmark is None
