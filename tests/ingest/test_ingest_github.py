"""GitHub ingest against the simulator and a scratch staging database (the acceptance scenarios)."""

from __future__ import annotations

import json
import logging
import math
import re
from datetime import date
from pathlib import Path

import psycopg
import pytest
from pydantic import SecretStr

from osspulse.ingest.github import EMPTY_REPO_NOTE, ingest_github, ingest_repo
from osspulse.ingest.report import IngestError, NotFoundError
from osspulse.tracked import load_tracked
from osspulse_sim.generate import append_activity, generate
from osspulse_sim.server import running_simulator
from tests.ingest.helpers import (
    GITHUB_ENTITIES,
    diff_summary,
    expected_staging,
    fast,
    staging_dump,
    state_rows,
    subset,
)

pytestmark = pytest.mark.integration

DAY1, DAY2, DAY3 = date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)
COLLECTIONS = ("commits", "issues", "comments", "review_comments", "releases")


def _minimum_backfill(data_dir: Path) -> int:
    """ceil(records/100) per collection, at least 1 (an empty listing still takes a request), +1 per repo,
    +1 per PR (its reviews: GitHub lists them per PR only)."""
    total = 0
    for repo in load_tracked(data_dir / "tracked.yml").repos:
        folder = data_dir / "github" / repo
        total += 1 + (folder / "pulls.jsonl").read_text().count("\n")
        for name in COLLECTIONS:
            lines = (folder / f"{name}.jsonl").read_text().count("\n")
            total += max(1, math.ceil(lines / 100))
    return total


def test_backfill_no_change_then_append(dataset, sim, scratch_db):
    # without a token (the test session sets one for the log scan): anonymous requests
    settings = fast(sim.settings_for(scratch_db, tracked=dataset / "tracked.yml"), github_token=SecretStr(""))
    repos = list(load_tracked(dataset / "tracked.yml").repos)

    reports = ingest_github(settings, None, DAY1)
    assert [r.target for r in reports] == repos and all(r.ok for r in reports)
    expected = subset(expected_staging(dataset, DAY1), GITHUB_ENTITIES)
    actual = staging_dump(settings, GITHUB_ENTITIES)
    assert actual == expected, diff_summary(actual, expected)
    backfill = sim.stats()
    assert backfill["counted"] == sum(r.requests.counted for r in reports)
    # keyset pagination re-reads one boundary record per page: at most one extra request per collection
    assert _minimum_backfill(dataset) <= backfill["counted"] <= _minimum_backfill(dataset) + 3 * len(repos)
    assert backfill["authorized"] == 0  # no token configured: no Authorization header

    # a second run with nothing new: no quota-counted request at all, only 304s
    sim.reset()
    reports = ingest_github(settings, None, DAY2)
    stats = sim.stats()
    assert stats["counted"] == 0, sim.requests()
    assert stats["not_modified"] == 6 * len(
        repos
    )  # repo, commits, issues, comments, review comments, releases
    assert all(r.requests.counted == 0 and r.rows_upserted == 1 for r in reports)  # the DAY2 snapshot
    snapshots = staging_dump(settings, ("github_repos",))["github_repos"]
    assert sorted(snapshots) == sorted([(r, d) for r in repos for d in (DAY1, DAY2)])

    # new activity: only the first pages are asked, and the new rows land with load_date DAY3
    changes = append_activity(dataset)
    sim.reset()
    reports = ingest_github(settings, None, DAY3)
    requested = [e for e in sim.requests() if e["status"] != 304 and e["collection"] != "github_pull_reviews"]
    assert len(requested) == 5 * len([k for k in changes if k.startswith("github/")])  # one page each
    reviews = [e for e in sim.requests() if e["collection"] == "github_pull_reviews"]
    with psycopg.connect(settings.pg_dsn()) as conn:  # one request per PR the run inserted or updated
        (prs,) = conn.execute(
            "select count(*) from staging.github_issues where load_date = %s and payload ? 'pull_request'",
            (DAY3,),
        ).fetchone()
    assert len(reviews) == prs > 0
    assert not [e for e in requested if re.search(r"[?&]page=", e["path"])], requested
    expected = subset(expected_staging(dataset, DAY3), GITHUB_ENTITIES)
    actual = staging_dump(settings, GITHUB_ENTITIES)
    for name in GITHUB_ENTITIES[1:]:
        assert actual[name] == expected[name], diff_summary(actual, expected)
    appended = GITHUB_ENTITIES[1:5]  # append_activity adds no reviews
    by_entity = {
        name: sum(r.entities[name].upserted for r in reports if name in r.entities) for name in appended
    }
    summed = {
        "github_commits": sum(v["commits"] for v in changes.values() if "commits" in v),
        "github_issues": sum(v["issues"] for v in changes.values() if "issues" in v),
        "github_issue_comments": sum(v["issue_comments"] for v in changes.values() if "issue_comments" in v),
        "github_releases": sum(v["releases"] for v in changes.values() if "releases" in v),
    }
    assert by_entity == summed


def test_unchanged_rows_keep_their_load_date(dataset, sim, scratch_db):
    import psycopg

    settings = fast(sim.settings_for(scratch_db, tracked=dataset / "tracked.yml"))
    ingest_repo(settings, "apache/iceberg-python", DAY1)
    append_activity(dataset)
    ingest_repo(settings, "apache/iceberg-python", DAY2, full_refresh=True)  # re-reads everything
    with psycopg.connect(settings.pg_dsn()) as conn:
        by_day = dict(
            conn.execute("select load_date, count(*) from staging.github_commits group by 1").fetchall()
        )
    assert by_day == {DAY1: 240, DAY2: 5}


def test_unknown_repo_fails_the_run_but_not_the_others(tmp_path, scratch_db):
    data = tmp_path / "data"
    generate(data, scale=1, unknown_repos=["apache/no-such-repo"])
    with running_simulator(data) as sim:
        settings = fast(sim.settings_for(scratch_db, tracked=data / "tracked.yml"))
        with pytest.raises(IngestError) as info:
            ingest_github(settings, None, DAY1)
        with pytest.raises(NotFoundError, match="no repository apache/no-such-repo") as direct:
            ingest_repo(settings, "apache/no-such-repo", DAY1)
    message = str(info.value)
    assert "1 of 5" in message and "apache/no-such-repo" in message and "404" in message
    assert set(info.value.failures) == {"apache/no-such-repo"}
    assert len(info.value.reports) == 5 and direct.value.reports[0].failures
    actual = staging_dump(settings, GITHUB_ENTITIES)
    expected = subset(expected_staging(data, DAY1), GITHUB_ENTITIES)
    assert actual == expected, diff_summary(actual, expected)


def test_empty_repository_is_skipped_and_noted(tmp_path, scratch_db):
    data = tmp_path / "data"
    generate(data, scale=1, empty_repos=["acme/empty"])
    with running_simulator(data) as sim:
        settings = fast(sim.settings_for(scratch_db))
        report = ingest_repo(settings, "acme/empty", DAY1)
        assert EMPTY_REPO_NOTE in report.notes
        assert report.entities["github_repos"].inserted == 1
        sim.reset()
        report = ingest_repo(settings, "acme/empty", DAY2)  # repository unchanged: not even asked again
        assert any("409" in n for n in report.notes)
        assert sim.stats()["counted"] == 0


def test_a_failed_pass_resumes_where_it_stopped(dataset, scratch_db):
    # commits page 3 of the backfill is broken for good: pages 1-2 are kept with a resume cursor
    with running_simulator(dataset, malformed_rate=1.0, fault_paths=r"iceberg/commits\?.*page=3") as sim:
        settings = fast(sim.settings_for(scratch_db), http_max_retries=2)
        with pytest.raises(IngestError, match="github_commits.*malformed JSON"):
            ingest_repo(settings, "apache/iceberg", DAY1)
        state = state_rows(settings)[("github_commits", "apache/iceberg")]
        assert state["cursor"]["next_url"].endswith("page=3") and state["bookmark"] is None
        assert len(staging_dump(settings, ("github_commits",))["github_commits"]) == 200
        # the other streams of the repo were still ingested
        assert len(staging_dump(settings, ("github_issues",))["github_issues"]) == 330

        sim.configure(malformed_rate=0.0)
        sim.reset()
        ingest_repo(settings, "apache/iceberg", DAY1)
        commit_requests = [e["path"] for e in sim.requests() if e["collection"] == "github_commits"]
        assert commit_requests[0].endswith("page=3")  # resumed, not restarted
    expected = expected_staging(dataset, DAY1)["github_commits"]
    expected = {k: v for k, v in expected.items() if k[0] == "apache/iceberg"}
    assert staging_dump(settings, ("github_commits",))["github_commits"] == expected
    assert state_rows(settings)[("github_commits", "apache/iceberg")]["cursor"] is None


def test_the_token_is_sent_but_never_logged(dataset, sim, scratch_db, caplog):
    token = "ghp_TESTTOKENshouldNEVERappear0123456789"
    caplog.set_level(logging.DEBUG)
    settings = fast(sim.settings_for(scratch_db), github_token=SecretStr(token))
    ingest_repo(settings, "apache/iceberg-python", DAY1)
    assert sim.stats()["authorized"] == sim.stats()["requests"] > 0
    with pytest.raises(IngestError) as info:  # errors too: a 404 and a repo whose streams all fail
        ingest_github(settings, ["apache/nope"], DAY1, token=token)
    sim.configure(error_rate=1.0, error_status=401)
    with pytest.raises(IngestError) as info2:
        ingest_repo(fast(settings, http_max_retries=1), "apache/hudi", DAY1, token=token)
    texts = [caplog.text, str(info.value), str(info2.value), repr(info2.value.reports), str(settings)]
    texts += [str(r.to_dict()) for r in info.value.reports + info2.value.reports]
    assert "401" in str(info2.value)
    for text in texts:
        assert token not in text


def test_releases_stop_at_the_first_known_release_unless_full_refresh(dataset, sim, scratch_db):
    path = dataset / "github" / "apache" / "iceberg-python" / "releases.jsonl"
    releases = [
        {
            "id": 5000 + i,
            "tag_name": f"v0.{i}.0",
            "created_at": f"2025-{1 + i // 28 % 12:02d}-{1 + i % 28:02d}T00:00:00Z",
        }
        for i in range(250)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in releases))
    settings = fast(sim.settings_for(scratch_db))

    def release_requests() -> int:
        return len([e for e in sim.requests() if e["collection"] == "github_releases" and e["status"] == 200])

    ingest_repo(settings, "apache/iceberg-python", DAY1)
    assert release_requests() == 3
    with path.open("a") as fh:
        fh.write(json.dumps({"id": 9999, "tag_name": "v1.0.0", "created_at": "2026-11-01T00:00:00Z"}) + "\n")
    sim.reset()
    report = ingest_repo(settings, "apache/iceberg-python", DAY2)
    assert release_requests() == 1 and report.entities["github_releases"].inserted == 1
    sim.reset()
    ingest_repo(settings, "apache/iceberg-python", DAY2, full_refresh=True)
    assert release_requests() == 3
    assert len(staging_dump(settings, ("github_releases",))["github_releases"]) == 251
