"""The dataset generator: deterministic, in the simulator's format, and realistic enough to test with."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from osspulse.tracked import load_tracked
from osspulse_sim.generate import DEFAULT_END_DATE, append_activity, dataset_end_date, generate

REPOS = ("apache/iceberg", "apache/hudi", "delta-io/delta", "apache/iceberg-python")
PACKAGES = ("pyiceberg", "delta-spark", "hudi", "deltalake")


def digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen") / "scale1"
    generate(out, scale=1)
    return out


def test_same_arguments_give_byte_identical_files(data, tmp_path):
    generate(tmp_path / "again", scale=1)
    assert digest(data) == digest(tmp_path / "again")
    generate(tmp_path / "other", scale=1, seed=7)
    assert digest(data) != digest(tmp_path / "other")


def test_the_layout_is_the_simulator_format(data):
    tracked = load_tracked(data / "tracked.yml")
    assert tracked.repos == REPOS and tracked.packages == PACKAGES and tracked.groups
    for repo in REPOS:
        for name in ("repo.json", "commits.jsonl", "issues.jsonl", "comments.jsonl", "releases.jsonl"):
            assert (data / "github" / repo / name).is_file()
    for package in PACKAGES:
        assert (data / "pypi" / f"{package}.json").is_file()
        for metric in ("overall", "python_minor", "system"):
            body = json.loads((data / "pypistats" / package / f"{metric}.json").read_text())
            assert body["package"] == package and body["type"] == f"{metric}_downloads"


def test_scale_1_stays_small_and_scale_multiplies(data, tmp_path):
    commits = sum(len(jsonl(data / "github" / r / "commits.jsonl")) for r in REPOS)
    issues = sum(len(jsonl(data / "github" / r / "issues.jsonl")) for r in REPOS)
    assert 1000 <= commits <= 2000 and 800 <= issues <= 1200
    totals = generate(tmp_path / "x2", scale=2)
    # the merge-commit repository's commit count follows its PRs' branches, so only about double
    assert 1.9 * commits <= totals["commits"] <= 2.1 * commits and totals["issues"] == 2 * issues
    assert 1.6 * 2000 < totals["comments"] < 2.4 * 2500


def test_github_history_is_realistic(data):
    end = datetime(2026, 11, 1, 23, 59, 59, tzinfo=UTC)
    commits = [c for r in REPOS for c in jsonl(data / "github" / r / "commits.jsonl")]
    issues = [i for r in REPOS for i in jsonl(data / "github" / r / "issues.jsonl")]
    comments = [c for r in REPOS for c in jsonl(data / "github" / r / "comments.jsonl")]
    releases = [x for r in REPOS for x in jsonl(data / "github" / r / "releases.jsonl")]
    # 400+ days of history, nothing after the end date
    first = min(ts(i["created_at"]) for i in issues)
    assert end - first >= timedelta(days=400)
    assert max(ts(c["commit"]["committer"]["date"]) for c in commits) <= end
    assert max(ts(i["updated_at"]) for i in issues) <= end
    # commits: author dates with non-UTC offsets (some on another calendar day than in UTC), unknown authors
    offsets = Counter(c["commit"]["author"]["date"][-6:] for c in commits)
    assert offsets["-05:00"] > 0 and offsets["+05:30"] > 0 and offsets["+09:00"] > 0
    assert any(
        ts(c["commit"]["author"]["date"]).date() != ts(c["commit"]["author"]["date"]).astimezone(UTC).date()
        for c in commits
    )
    assert any(c["author"] is None for c in commits)
    assert any(c["commit"]["committer"]["name"] == "GitHub" for c in commits)  # squash merges
    # issues and PRs: bots, merged and unmerged PRs, reopened issues, labels
    prs = [i for i in issues if "pull_request" in i]
    assert 0.4 < len(prs) / len(issues) < 0.7
    assert {"dependabot[bot]"} <= {i["user"]["login"] for i in issues if i["user"]["type"] == "Bot"}
    assert any(p["pull_request"]["merged_at"] for p in prs)
    assert any(p["state"] == "closed" and not p["pull_request"]["merged_at"] for p in prs)
    assert any(i["state_reason"] == "reopened" for i in issues)
    assert any(i["state_reason"] == "not_planned" for i in issues)
    assert all(i["closed_at"] is None for i in issues if i["state"] == "open")
    assert Counter(lbl["name"] for i in issues for lbl in i["labels"])["bug"] > 50
    # comments: by authors, maintainers, bots; counts agree with the issues
    assert {"github-actions[bot]"} <= {c["user"]["login"] for c in comments if c["user"]["type"] == "Bot"}
    assert {c["author_association"] for c in comments} >= {"MEMBER", "CONTRIBUTOR", "NONE"}
    assert sum(i["comments"] for i in issues) == len(comments)
    assert any(c["updated_at"] > c["created_at"] for c in comments)  # edited later
    known = {i["url"] for i in issues}
    assert all(c["issue_url"] in known for c in comments)
    # releases: some pre-releases
    assert any(r["prerelease"] for r in releases) and any(not r["prerelease"] for r in releases)


def test_downloads_and_pypi_releases_are_realistic(data):
    for package in PACKAGES:
        overall = json.loads((data / "pypistats" / package / "overall.json").read_text())["data"]
        days = {r["date"] for r in overall}
        assert len(days) >= 180 and max(days) == DEFAULT_END_DATE.isoformat()
        by_day = {(r["date"], r["category"]): r["downloads"] for r in overall}
        minor = json.loads((data / "pypistats" / package / "python_minor.json").read_text())["data"]
        day = max(days)
        assert sum(r["downloads"] for r in minor if r["date"] == day) == by_day[(day, "without_mirrors")]
        assert by_day[(day, "with_mirrors")] >= by_day[(day, "without_mirrors")]
        body = json.loads((data / "pypi" / f"{package}.json").read_text())
        assert body["info"]["version"] in body["releases"]
        files = [f for fs in body["releases"].values() for f in fs]
        assert {f["packagetype"] for f in files} == {"sdist", "bdist_wheel"}
        assert all(f["upload_time_iso_8601"].endswith("Z") for f in files)
    pyiceberg = json.loads((data / "pypi" / "pyiceberg.json").read_text())["releases"]
    assert {f["requires_python"] for fs in pyiceberg.values() for f in fs} >= {">=3.8", ">=3.9"}
    assert any(fs == [] for fs in pyiceberg.values())
    everything = [json.loads((data / "pypi" / f"{p}.json").read_text())["releases"] for p in PACKAGES]
    assert any(f["yanked"] for rel in everything for fs in rel.values() for f in fs)
    assert any(any(c in v for c in ("rc", "b")) for rel in everything for v in rel)


def test_unknown_and_empty_entries(tmp_path):
    generate(
        tmp_path / "d",
        unknown_repos=["acme/ghost"],
        unknown_packages=["ghostpkg"],
        empty_repos=["acme/empty"],
    )
    tracked = load_tracked(tmp_path / "d" / "tracked.yml")
    assert "acme/ghost" in tracked.repos and "acme/empty" in tracked.repos and "ghostpkg" in tracked.packages
    assert not (tmp_path / "d" / "github" / "acme" / "ghost").exists()
    assert not (tmp_path / "d" / "pypi" / "ghostpkg.json").exists()
    assert (tmp_path / "d" / "github" / "acme" / "empty" / "repo.json").exists()
    assert not (tmp_path / "d" / "github" / "acme" / "empty" / "commits.jsonl").exists()


def test_append_activity_adds_after_the_end_and_is_deterministic(data, tmp_path):
    import shutil

    copies = [tmp_path / "a", tmp_path / "b"]
    for c in copies:
        shutil.copytree(data, c)
    summaries = [append_activity(c, days=2) for c in copies]
    assert summaries[0] == summaries[1] and digest(copies[0]) == digest(copies[1])
    assert dataset_end_date(copies[0]) == date(2026, 11, 3)
    summary = summaries[0]["github/apache/iceberg"]
    old = {c["sha"] for c in jsonl(data / "github/apache/iceberg/commits.jsonl")}
    new = [c for c in jsonl(copies[0] / "github/apache/iceberg/commits.jsonl") if c["sha"] not in old]
    assert len(new) == summary["commits"] == 10
    assert min(ts(c["commit"]["committer"]["date"]) for c in new) >= datetime(2026, 11, 2, tzinfo=UTC)
    issues = jsonl(copies[0] / "github/apache/iceberg/issues.jsonl")
    comments = jsonl(copies[0] / "github/apache/iceberg/comments.jsonl")
    assert sum(i["comments"] for i in issues) == len(comments)
    assert summaries[0]["pypi/pyiceberg"] == {"pypi_json": 1, "download_days": 2}
