"""Typed extraction and reject rules of the raw load, on hand-made staged rows (local Spark)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from osspulse.entities import ENTITIES, entity
from osspulse.load.extract import REJECT_COLUMN, split, transform
from tests.helpers import naive_utc

FETCHED = datetime(2026, 2, 1, 6, 0, tzinfo=UTC)


def staged(spark, rows, extra_schema=""):
    schema = "repo string, sha string, payload string, load_date date, fetched_at timestamp" + extra_schema
    return spark.createDataFrame(rows, schema)


def commit(sha: str, author_date: str | None, login: str | None = "alice") -> str:
    return json.dumps(
        {
            "sha": sha,
            "author": {"login": login} if login else None,
            "committer": {"login": "web-flow"},
            "commit": {
                "author": {"name": "Alice", "email": "alice@example.org", "date": author_date},
                "committer": {"date": "2026-02-01T04:30:00Z"},
                "message": "fix: ünïcode ✓",
            },
        }
    )


def test_offsets_are_converted_to_utc(spark):
    df = staged(spark, [("o/r", "a", commit("a", "2026-01-31T23:30:00-05:00"), date(2026, 2, 1), FETCHED)])
    row = transform(df, entity("github_commits")).collect()[0]
    assert row.author_date == naive_utc(2026, 2, 1, 4, 30)  # Spark returns UTC wall time
    assert row.author_login == "alice"
    assert row.committer_login == "web-flow"
    assert row.message == "fix: ünïcode ✓"
    assert row[REJECT_COLUMN] is None


def test_null_author_is_kept_not_rejected(spark):
    df = staged(
        spark, [("o/r", "b", commit("b", "2026-01-05T10:00:00Z", login=None), date(2026, 2, 1), FETCHED)]
    )
    good, rejects = split(transform(df, entity("github_commits")), entity("github_commits"))
    assert rejects.count() == 0
    assert good.collect()[0].author_login is None


def test_unparseable_required_value_and_non_object_payload_are_rejected_with_reasons(spark):
    rows = [
        ("o/r", "ok", commit("ok", "2026-01-05T10:00:00Z"), date(2026, 2, 1), FETCHED),
        ("o/r", "bad", commit("bad", "not-a-date"), date(2026, 2, 1), FETCHED),
        ("o/r", "arr", "[1, 2]", date(2026, 2, 1), FETCHED),
    ]
    ent = entity("github_commits")
    good, rejects = split(transform(staged(spark, rows), ent), ent)
    assert [r.sha for r in good.collect()] == ["ok"]
    reasons = {json.loads(r.record_key)["sha"]: r.reason for r in rejects.collect()}
    assert reasons == {
        "bad": "cannot parse $.commit.author.date as timestamp: 'not-a-date'",
        "arr": "payload is not a JSON object",
    }
    assert {r.entity for r in rejects.collect()} == {"github_commits"}


def test_missing_optional_values_become_null(spark):
    df = staged(
        spark, [("o/r", "c", json.dumps({"sha": "c", "commit": {"author": {}}}), date(2026, 2, 1), FETCHED)]
    )
    ent = entity("github_commits")
    good, rejects = split(transform(df, ent), ent)
    row = good.collect()[0]
    assert (row.author_date, row.author_email, row.message) == (None, None, None)
    assert rejects.count() == 0


def test_pull_request_flag_is_presence_of_the_key(spark):
    issue = {"id": 1, "number": 1, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}
    pr = {**issue, "id": 2, "number": 2, "pull_request": {"url": "u", "merged_at": "2026-01-02T00:00:00Z"}}
    df = spark.createDataFrame(
        [
            ("o/r", 1, json.dumps(issue), date(2026, 2, 1), FETCHED),
            ("o/r", 2, json.dumps(pr), date(2026, 2, 1), FETCHED),
        ],
        "repo string, number bigint, payload string, load_date date, fetched_at timestamp",
    )
    rows = {r.number: r for r in transform(df, entity("github_issues")).collect()}
    assert rows[1].is_pull_request is False and rows[1].merged_at is None
    assert rows[2].is_pull_request is True and rows[2].merged_at == naive_utc(2026, 1, 2)


def test_extra_staging_columns_are_carried(spark):
    df = staged(
        spark,
        [("o/r", "d", commit("d", "2026-01-05T10:00:00Z"), date(2026, 2, 1), FETCHED, "v2")],
        ", api_version string",
    )
    out = transform(df, entity("github_commits"))
    assert out.columns[-2:] == ["api_version", REJECT_COLUMN]
    assert out.collect()[0].api_version == "v2"


@pytest.mark.parametrize("ent", ENTITIES, ids=lambda e: e.name)
def test_output_columns_match_the_raw_table(spark, ent):
    key_schema = ", ".join(f"{n} {t}" for n, t in ent.key)
    df = spark.createDataFrame([], f"{key_schema}, payload string, load_date date, fetched_at timestamp")
    good, _ = split(transform(df, ent), ent)
    assert [(f.name, f.dataType.simpleString()) for f in good.schema.fields] == ent.raw_columns()


def test_a_truncated_object_is_rejected_not_loaded_as_nulls(spark):
    truncated = commit("t", "2026-01-05T10:00:00Z")[:40]
    df = staged(spark, [("o/r", "t", truncated, date(2026, 2, 1), FETCHED)])
    ent = entity("github_commits")
    good, rejects = split(transform(df, ent), ent)
    assert good.count() == 0
    assert [r.reason for r in rejects.collect()] == ["payload is not valid JSON"]


def test_numbers_and_nested_objects_are_read_through_the_one_parse(spark):
    repo = {
        "id": 42,
        "full_name": "o/r",
        "stargazers_count": 7,
        "forks_count": 0,
        "watchers_count": 7,
        "subscribers_count": 1,
        "open_issues_count": 2,
        "archived": True,
        "license": {"spdx_id": "Apache-2.0"},
        "created_at": "2020-01-01T00:00:00Z",
        "pushed_at": "2026-01-01T00:00:00Z",
    }
    df = spark.createDataFrame(
        [("o/r", date(2026, 2, 1), json.dumps(repo), date(2026, 2, 1), FETCHED)],
        "repo string, snapshot_date date, payload string, load_date date, fetched_at timestamp",
    )
    row = transform(df, entity("github_repos")).collect()[0]
    assert (row.repo_id, row.stargazers_count, row.archived, row.license_spdx) == (42, 7, True, "Apache-2.0")
    assert row[REJECT_COLUMN] is None
