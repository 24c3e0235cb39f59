"""What GitHub, pypistats and PyPI really do, switched on in the simulator, and how the client meets it
(issue 14; docs/ingest.md has the table). Each run ends with staging equal to a clean run's, at the
expected request count.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import psycopg
import pytest
from pydantic import SecretStr

from osspulse.ingest.github import ingest_github, ingest_repo
from osspulse.ingest.listings import as_issue
from osspulse.ingest.pypi import ingest_package
from osspulse.ingest.report import IngestError, NotFoundError
from osspulse.tracked import Tracked
from osspulse_sim.generate import DEFAULT_END_DATE, generate
from osspulse_sim.server import running_simulator
from tests.ingest.helpers import (
    GITHUB_ENTITIES,
    PYPI_ENTITIES,
    diff_summary,
    expected_staging,
    fast,
    staging_dump,
    subset,
)

pytestmark = pytest.mark.integration

REPO, PACKAGE = "apache/iceberg-python", "pyiceberg"
DAY = DEFAULT_END_DATE  # the simulator's today (its Date header) for these datasets


@pytest.fixture(scope="module")
def small_dataset(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("small") / "data"
    generate(out, tracked=Tracked(repos=(REPO,), packages=(PACKAGE,)))
    return out


@pytest.fixture
def small(small_dataset: Path, tmp_path: Path) -> Path:
    out = tmp_path / "data"
    shutil.copytree(small_dataset, out)
    return out


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def _write(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def _empty(settings) -> None:
    """Forget everything staged (a clean slate for the next run in the same database)."""
    with psycopg.connect(settings.pg_dsn(), autocommit=True) as conn:
        tables = conn.execute("select tablename from pg_tables where schemaname = 'staging'").fetchall()
        for (table,) in tables:
            conn.execute(f'truncate staging."{table}"')


def _clean_run(settings, sim, run) -> tuple[dict, int]:
    """(staging, quota-counted requests) of a run on the unchanged dataset; staging emptied after."""
    sim.reset()
    run()
    out = staging_dump(settings), sim.stats()["counted"]
    _empty(settings)
    sim.reset()
    return out


def test_a_renamed_repository_is_followed_and_keeps_its_key(small, scratch_db):
    with running_simulator(small) as sim:
        settings = fast(sim.settings_for(scratch_db))
        clean, clean_requests = _clean_run(settings, sim, lambda: ingest_repo(settings, REPO, DAY))
        # transferred to another owner and renamed: the old name answers 301 to /repositories/{id}
        new_name = "iceberg-org/pyiceberg"
        target = small / "github" / new_name
        target.parent.mkdir(parents=True)
        (small / "github" / REPO).rename(target)
        body = json.loads((target / "repo.json").read_text())
        (target / "repo.json").write_text(json.dumps({**body, "full_name": new_name}))
        (small / "github" / "_renamed.json").write_text(json.dumps({REPO: new_name}))
        report = ingest_repo(settings, REPO, DAY)
        assert report.renamed_to == new_name and any("renamed or transferred" in n for n in report.notes)
        assert sim.stats()["counted"] == clean_requests + 1  # the 301 once; then the new name is asked
        sim.reset()
        ingest_repo(settings, REPO, DAY + timedelta(days=1))
        assert all(new_name in e["path"] for e in sim.requests())  # no more redirects
    actual = staging_dump(settings)
    assert actual["github_repos"][(REPO, DAY)]["full_name"] == new_name  # the snapshot records the new name
    for name in GITHUB_ENTITIES[1:]:
        assert actual[name] == clean[name], name


def test_owner_and_name_are_case_insensitive(small, scratch_db):
    with running_simulator(small) as sim:
        settings = fast(sim.settings_for(scratch_db))
        report = ingest_repo(settings, "Apache/Iceberg-Python", DAY)
    assert report.renamed_to is None and report.ok
    assert len(staging_dump(settings, ("github_commits",))["github_commits"]) == 240


def test_secondary_rate_limits_back_off_and_end_like_a_clean_run(small, scratch_db):
    with running_simulator(small) as sim:
        settings = fast(sim.settings_for(scratch_db))
        clean, clean_requests = _clean_run(settings, sim, lambda: ingest_repo(settings, REPO, DAY))
        sim.configure(secondary_rate=0.04, secondary_burst=1, seed=5)  # 403 without Retry-After
        report = ingest_repo(settings, REPO, DAY)
        stats = sim.stats()
    assert stats["secondary_limited"] >= 2 and report.requests.retries == stats["secondary_limited"]
    assert stats["counted"] == clean_requests + stats["secondary_limited"]  # each refused request once more
    assert staging_dump(settings) == clean, diff_summary(staging_dump(settings), clean)


def test_a_bad_token_fails_at_once_naming_the_setting(small, scratch_db):
    with running_simulator(small, tokens="ghp_the_only_good_token") as sim:
        settings = fast(sim.settings_for(scratch_db), ingest_concurrency=1, github_token=SecretStr("ghp_bad"))
        with pytest.raises(IngestError, match="check GITHUB_TOKEN") as info:
            ingest_github(settings, [REPO, "apache/other"], DAY)
        stats = sim.stats()
    assert stats["unauthorized"] == stats["requests"] == 1  # no retry loop, no second repository
    assert "check GITHUB_TOKEN" in info.value.failures["apache/other"]


def test_four_processes_share_one_pypistats_budget(tmp_path, scratch_db):
    data = tmp_path / "data"
    packages = ("pyiceberg", "delta-spark", "hudi", "deltalake")
    generate(data, tracked=Tracked(repos=(), packages=packages))
    budget, window = 6, 3.0  # pypistats allows 30 a minute; the same rule on a short window
    with running_simulator(
        data, pypistats_per_s=5, pypistats_per_window=budget, pypistats_window_s=window
    ) as sim:
        env = {
            **os.environ,
            "OSSPULSE_PYPISTATS_URL": sim.url,
            "OSSPULSE_PYPI_URL": sim.url,
            "OSSPULSE_PG_STAGING_DB": scratch_db.pg_staging_db,
            "OSSPULSE_PYPISTATS_REQUESTS_PER_MINUTE": str(budget),
            "OSSPULSE_PYPISTATS_WINDOW_S": str(window),
            "OSSPULSE_GITHUB_SECONDARY_WAIT_S": "1",  # a refused request would not wait a minute
        }
        cmd = [
            sys.executable,
            "-m",
            "osspulse.cli",
            "ingest",
            "pypi",
            "--load-date",
            DAY.isoformat(),
            "--package",
        ]
        procs = [
            subprocess.Popen([*cmd, p], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            for p in packages
        ]
        outputs = [p.communicate(timeout=300)[0].decode() for p in procs]
        stats = sim.stats()
        times = sorted(e["t"] for e in sim.requests() if e["collection"].startswith("pypistats_"))
    assert all(p.returncode == 0 for p in procs), outputs
    assert len(times) == 3 * len(packages) and stats["pypistats_limited"] == 0  # never refused
    assert stats["pypistats_max_in_window"] <= budget
    assert all(times[i + budget] - times[i] >= window - 0.05 for i in range(len(times) - budget))
    expected = subset(expected_staging(data, DAY), PYPI_ENTITIES)
    assert staging_dump(scratch_db, PYPI_ENTITIES) == expected


def test_package_names_are_normalised_for_pypistats_and_pypi(tmp_path, scratch_db):
    data = tmp_path / "data"
    generate(data, tracked=Tracked(repos=(), packages=("PyYAML",)))  # filed as pyyaml; PyPI calls it PyYAML
    with running_simulator(data) as sim:
        settings = fast(sim.settings_for(scratch_db))
        ingest_package(settings, "PyYAML", DAY)
        assert sim.stats()["counted"] == 4  # no redirect: the tracked spelling is PyPI's own
        sim.reset()
        ingest_package(settings, "pyyaml", DAY)  # another spelling: PyPI answers 301 once
        assert sim.stats()["counted"] == 5
        with pytest.raises(NotFoundError):
            ingest_package(settings, "no-such-package", DAY)
    downloads = staging_dump(settings, ("pypi_downloads",))["pypi_downloads"]
    for spelling in ("PyYAML", "pyyaml"):  # rows keep the tracked spelling; pypistats was asked as pyyaml
        assert len([k for k in downloads if k[0] == spelling]) == 180 * 13


def test_asset_download_counts_change_daily_without_rewriting_releases(small, scratch_db):
    path = small / "github" / REPO / "releases.jsonl"
    releases = _jsonl(path)
    for r in releases:
        r["assets"] = [
            {"id": r["id"] + 1, "name": "dist.tar.gz", "download_count": 10, "created_at": r["created_at"]}
        ]
    _write(path, releases)
    with running_simulator(small, as_of=(DAY - timedelta(days=1)).isoformat()) as sim:
        settings = fast(sim.settings_for(scratch_db))
        ingest_repo(settings, REPO, DAY - timedelta(days=1))
        sim.configure(as_of=DAY.isoformat())
        sim.reset()
        report = ingest_repo(settings, REPO, DAY)
        served = sim.requests()
    assert any(
        e["collection"] == "github_releases" and e["status"] == 200 for e in served
    )  # the counts moved
    assert report.entities["github_releases"].upserted == 0  # but no release row was rewritten
    staged = staging_dump(settings, ("github_releases",))["github_releases"]
    assert staged and all("download_count" not in a for p in staged.values() for a in p["assets"])


def test_deleted_releases_and_transferred_issues_become_tombstones(small, scratch_db):
    folder = small / "github" / REPO
    with running_simulator(small) as sim:
        settings = fast(sim.settings_for(scratch_db), reconcile_every_days=7)
        ingest_repo(settings, REPO, DAY)
        releases, issues, comments = (
            _jsonl(folder / f"{n}.jsonl") for n in ("releases", "issues", "comments")
        )
        gone = {
            "github_releases": releases[3]["id"],
            "github_issues": issues[10]["number"],
            "github_issue_comments": comments[5]["id"],
        }
        _write(folder / "releases.jsonl", [r for r in releases if r["id"] != gone["github_releases"]])
        _write(folder / "issues.jsonl", [i for i in issues if i["number"] != gone["github_issues"]])
        _write(folder / "comments.jsonl", [c for c in comments if c["id"] != gone["github_issue_comments"]])
        sim.reset()
        report = ingest_repo(settings, REPO, DAY + timedelta(days=6))  # not due yet: nothing is listed again
        assert not report.tombstoned and not [e for e in sim.requests() if "sort=created" in e["path"]]
        sim.reset()
        report = ingest_repo(settings, REPO, DAY + timedelta(days=7))
        listing = [e for e in sim.requests() if "sort=created" in e["path"] or e["path"].endswith("&page=1")]
    assert report.tombstoned == dict.fromkeys(gone, 1)
    # the cost of a reconciliation: one full listing of releases, issues and comments
    sizes = (len(releases) - 1, len(issues) - 1, len(comments) - 1)
    assert len(listing) == sum(max(1, math.ceil(n / 100)) for n in sizes)
    staged = staging_dump(settings)
    for entity, key in gone.items():
        payload = staged[entity][(REPO, key)]
        assert payload["_osspulse"]["reason"].startswith("missing from the full listing")
    expected = subset(expected_staging(small, DAY), GITHUB_ENTITIES)
    for entity in ("github_releases", "github_issues", "github_issue_comments"):
        live = {k: v for k, v in staged[entity].items() if "_osspulse" not in v}
        assert live == expected[entity], entity


def test_a_missing_pypi_releases_key_fails_loudly(small, scratch_db):
    with running_simulator(small, pypi_releases_key=False) as sim:
        settings = fast(sim.settings_for(scratch_db))
        with pytest.raises(IngestError, match="no `releases` key"):
            ingest_package(settings, PACKAGE, DAY)
    staged = staging_dump(settings, PYPI_ENTITIES)
    assert staged["pypi_releases"] == {} and staged["pypi_projects"] == {}  # nothing read as "no releases"


def test_a_repository_with_issues_disabled_gets_its_prs_from_pulls(small, scratch_db):
    folder = small / "github" / REPO
    body = json.loads((folder / "repo.json").read_text())
    (folder / "repo.json").write_text(json.dumps({**body, "has_issues": False}))
    with running_simulator(small) as sim:
        settings = fast(sim.settings_for(scratch_db))
        report = ingest_repo(settings, REPO, DAY)
        answers = {e["collection"]: e["status"] for e in sim.requests()}
    assert report.ok and answers["github_issues"] == 410 and answers["github_pulls"] == 200
    issues = staging_dump(settings, ("github_issues",))["github_issues"]
    assert issues == {(REPO, p["number"]): as_issue(p) for p in _jsonl(folder / "pulls.jsonl")}


def test_a_repository_without_issues_or_releases_ingests_cleanly(small, scratch_db):
    folder = small / "github" / REPO
    for name in ("issues", "releases", "comments", "pulls", "reviews", "review_comments"):
        (folder / f"{name}.jsonl").unlink()
    with running_simulator(small) as sim:
        settings = fast(sim.settings_for(scratch_db))
        report = ingest_repo(settings, REPO, DAY)
    staged = staging_dump(settings, GITHUB_ENTITIES)
    assert report.ok and len(staged["github_commits"]) == 240 and staged["github_issues"] == {}


def test_a_backfill_never_writes_todays_snapshot_as_a_past_day(small, scratch_db):
    past = DAY - timedelta(days=10)
    with running_simulator(small) as sim:
        settings = fast(sim.settings_for(scratch_db))
        repo_report = ingest_repo(settings, REPO, past)
        package_report = ingest_package(settings, PACKAGE, past)
        ingest_repo(settings, REPO, DAY)
        ingest_package(settings, PACKAGE, DAY)
    staged = staging_dump(settings, ("github_repos", "pypi_projects"))
    assert sorted(staged["github_repos"]) == [(REPO, DAY)] and sorted(staged["pypi_projects"]) == [
        (PACKAGE, DAY)
    ]
    assert any("no repository snapshot for" in n for n in repo_report.notes)
    assert any("no PyPI project snapshot for" in n for n in package_report.notes)
    assert isinstance(date.fromisoformat(past.isoformat()), date)
