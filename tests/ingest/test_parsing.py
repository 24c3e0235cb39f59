"""Pure parsing and decisions of the ingest, on recorded/handmade API answers (no network, no database)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from osspulse.ingest.commits import advance
from osspulse.ingest.listings import as_issue, high_water, keyset_next
from osspulse.ingest.pypi import (
    check_pypi_json,
    check_pypistats,
    download_rows,
    project_payload,
    release_payload,
    release_rows,
)
from osspulse.ingest.report import snapshot_allowed
from osspulse.ingest.run import check_records
from osspulse.ingest.streams import COMMITS, ISSUES, RELEASES, format_time, parse_time

DATA = Path(__file__).parent / "data"


def load(name: str):
    return json.loads((DATA / name).read_text())


def test_timestamps_with_offsets_are_compared_as_instants():
    assert format_time(parse_time("2026-01-31T23:30:00-05:00")) == "2026-02-01T04:30:00Z"
    assert parse_time("2026-02-01T09:15:00+09:00") < parse_time("2026-02-01T04:45:00Z")
    assert parse_time(None) is None and parse_time("not a date") is None


def test_commit_high_water_uses_the_committer_date_in_utc():
    page = load("github_commits_page.json")
    assert high_water(COMMITS, page, None) == "2026-02-01T04:45:00Z"
    assert high_water(COMMITS, page, "2026-03-01T00:00:00Z") == "2026-03-01T00:00:00Z"
    assert high_water(COMMITS, [], None) is None


def _c(sha: str, *parents: str) -> dict:
    return {"sha": sha, "parents": [{"sha": p} for p in parents]}


def test_how_the_head_moved_is_judged_from_the_first_page():
    # old head o; new commits a <- b (linear): everything new is in the page
    assert advance([_c("b", "a"), _c("a", "o"), _c("o", "x")], "b", "o", known={"o", "x"}) == "fast_forward"
    # a merge commit m brings a branch whose base k is staged: still complete
    page = [_c("m", "o", "f2"), _c("f2", "f1"), _c("f1", "k")]
    assert advance(page, "m", "o", known={"o", "k"}) == "fast_forward"
    # the branch's first commit is not in the page and not staged: ask compare
    assert advance([_c("m", "o", "f2"), _c("f2", "f1")], "m", "o", known={"o"}) == "gap"
    # the old head is not an ancestor of the new one: history was rewritten (force-push)
    assert advance([_c("n2", "n1"), _c("n1", "k")], "n2", "o", known={"o", "k"}) == "rewritten"


def test_a_snapshot_is_written_only_by_the_run_of_its_day():
    assert snapshot_allowed(date(2026, 11, 20), date(2026, 11, 20), 1)
    assert snapshot_allowed(
        date(2026, 11, 19), date(2026, 11, 20), 1
    )  # the daily run of yesterday's interval
    assert not snapshot_allowed(date(2026, 11, 10), date(2026, 11, 20), 1)  # a backfill
    assert snapshot_allowed(date(2026, 11, 25), date(2026, 11, 20), 1)  # the simulator's world runs behind


def test_a_pull_becomes_an_issue_shaped_row():
    pr = {"number": 7, "url": "u", "html_url": "h", "merged_at": "2026-01-01T00:00:00Z", "updated_at": "x"}
    row = as_issue(pr)
    assert row["pull_request"]["merged_at"] == "2026-01-01T00:00:00Z" and row["number"] == 7


def test_keyset_moves_since_to_the_page_high_water_or_pages_through_a_tie():
    page = [{"number": i, "updated_at": f"2026-01-0{1 + i % 3}T00:00:00Z"} for i in range(100)]
    assert keyset_next(ISSUES, page, None, 1) == ("2026-01-03T00:00:00Z", 1)
    assert keyset_next(ISSUES, page, "2026-01-01T00:00:00Z", 1) == ("2026-01-03T00:00:00Z", 1)
    tie = [{"number": i, "updated_at": "2026-01-05T00:00:00Z"} for i in range(100)]
    assert keyset_next(ISSUES, tie, "2026-01-05T00:00:00Z", 1) == ("2026-01-05T00:00:00Z", 2)
    assert keyset_next(ISSUES, tie, "2026-01-05T00:00:00Z", 2) == ("2026-01-05T00:00:00Z", 3)


def test_record_checks_catch_pages_without_keys():
    assert check_records(COMMITS)(load("github_commits_page.json")) == ""
    assert "record 1" in check_records(RELEASES)([{"id": 1}, {"name": "no id"}])
    assert "record 0" in check_records(ISSUES)([{"number": "x"}])
    assert check_records(ISSUES)([{"number": "12"}]) == ""


def test_release_rows_summarise_each_version():
    body = load("pypi_json.json")
    rows = dict(release_rows("pyiceberg", body))
    assert set(rows) == {("pyiceberg", v) for v in ("0.0.1", "0.9.0", "0.9.1rc1", "0.9.1")}
    empty = rows[("pyiceberg", "0.0.1")]
    assert empty["file_count"] == 0 and empty["first_upload_at"] is None and empty["yanked"] is False
    v090 = rows[("pyiceberg", "0.9.0")]
    assert v090["first_upload_at"] == "2025-03-07T10:11:40.047125Z"  # the sdist, listed second
    assert v090["total_size"] == 1224011 + 678012 and v090["file_count"] == 2
    assert v090["requires_python"] == "!=3.9.7,<4.0,>=3.9"
    rc = rows[("pyiceberg", "0.9.1rc1")]
    assert rc["yanked"] is True and rc["yanked_reason"] == "wrong metadata"
    assert rc["requires_python"] == ">=3.9"  # the earliest file that declares one
    partly = rows[("pyiceberg", "0.9.1")]
    assert partly["yanked"] is False and partly["yanked_reason"] == "broken wheel"  # one of two files yanked
    assert partly["files"] == body["releases"]["0.9.1"]


def test_release_payload_takes_upload_time_without_a_zone_as_utc():
    files = [
        {"upload_time": "2024-01-02T03:04:05", "size": 3},
        {"upload_time": "2024-01-01T00:00:00", "size": 4},
    ]
    payload = release_payload("1.0", files)
    assert payload["first_upload_at"] == "2024-01-01T00:00:00" and payload["total_size"] == 7


def test_project_payload_is_the_body_without_releases():
    body = load("pypi_json.json")
    payload = project_payload(body)
    assert "releases" not in payload and payload["info"]["version"] == "0.9.1"
    assert payload["last_serial"] == 28513570


def test_download_rows_key_and_null_category():
    body = load("pypistats_python_minor.json")
    rows = download_rows("pyiceberg", "python_minor", body)
    keys = [k for k, _ in rows]
    assert keys[0] == ("pyiceberg", "python_minor", "3.10", date(2026, 5, 6))
    assert ("pyiceberg", "python_minor", "null", date(2026, 5, 7)) in keys  # JSON null -> "null"
    assert rows[1][1] == {
        "category": "3.11",
        "date": "2026-05-06",
        "downloads": 240112,
    }  # the row as returned


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"data": [{"date": "2026-01-01", "downloads": 1}]}, ""),
        ({"package": "x"}, "no `data` list"),
        ({"data": [{"date": "yesterday", "downloads": 1}]}, "has the date"),
        ({"data": [{"downloads": 1}]}, "lacks date"),
    ],
)
def test_pypistats_check(body, problem):
    result = check_pypistats(body)
    assert (problem in result) if problem else result == ""


def test_pypi_json_check():
    assert check_pypi_json(load("pypi_json.json")) == ""
    assert "info" in check_pypi_json({"releases": {}})
    assert "releases" in check_pypi_json({"info": {}, "releases": []})


def test_no_token_against_the_real_github_warns_how_long_it_takes():
    from osspulse.ingest.github import warn_without_token
    from osspulse.settings import Settings

    real = Settings(_env_file=None)
    message = warn_without_token(real, "", 20)
    assert "60 requests an hour" in message and "120 requests a day" in message and "2.0 hours" in message
    assert warn_without_token(real, "ghp_x", 20) is None  # a token: nothing to say
    assert (
        warn_without_token(real.model_copy(update={"github_api_url": "http://127.0.0.1:1"}), "", 20) is None
    )
