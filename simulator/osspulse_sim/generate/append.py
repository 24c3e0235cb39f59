"""More activity for incremental runs (``osspulse fake-api append``)."""

from __future__ import annotations

import json
import logging
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from osspulse_sim.generate.files import _dump, _read_jsonl, _write_jsonl
from osspulse_sim.generate.people import (
    ACTIONS,
    _assoc,
    _epoch_key,
    _moment,
    _parse,
    _z,
)
from osspulse_sim.generate.profiles import (
    API,
    DEFAULT_SEED,
    WEB,
    _hash_int,
    package_profile,
)
from osspulse_sim.generate.pypi_data import _version_files, pypistats_bodies
from osspulse_sim.generate.repo import _RepoGenerator, _Thread

log = logging.getLogger(__name__)


# --- more activity for incremental runs --------------------------------------------------------------


def dataset_end_date(data_dir: Path) -> date:
    """The latest pypistats date of a dataset, else the latest commit date."""
    latest: date | None = None
    for path in Path(data_dir).glob("pypistats/*/*.json"):
        for row in json.loads(path.read_text()).get("data", []):
            d = date.fromisoformat(row["date"])
            latest = d if latest is None or d > latest else latest
    if latest is None:
        for path in Path(data_dir).glob("github/*/*/commits.jsonl"):
            for c in _read_jsonl(path):
                d = _parse(c["commit"]["committer"]["date"]).astimezone(UTC).date()
                latest = d if latest is None or d > latest else latest
    if latest is None:
        raise ValueError(f"{data_dir}: no pypistats rows or commits to date the dataset by")
    return latest


def append_activity(
    data_dir: Path | str, *, days: int = 1, seed: int = DEFAULT_SEED, commits_per_day: int = 5
) -> dict[str, dict[str, int]]:
    """Add ``days`` more days of activity after the dataset's end date, in place.

    Per repository: new commits, two new issues/PRs a day, new comments on existing issues (which
    updates those issues), one new release, a repository object with a new ``pushed_at``; per package:
    ``days`` new pypistats days and one new PyPI version.

    Returns:
        Per ``github/<repo>`` or ``pypi/<package>``: how many records of each collection were added or
        changed (``commits``, ``issues``, ``issue_comments``, ``releases``, ``repos``; ``pypi_json``,
        ``download_days``).
    """
    data_dir = Path(data_dir)
    old_end = dataset_end_date(data_dir)
    new_end = old_end + timedelta(days=days)
    summary: dict[str, dict[str, int]] = {}
    for folder in sorted(p for p in data_dir.glob("github/*/*") if p.is_dir()):
        added = _append_repo(folder, old_end, new_end, days, seed, commits_per_day)
        if added is not None:
            summary[f"github/{folder.parent.name}/{folder.name}"] = added
    for folder in sorted(p for p in data_dir.glob("pypistats/*") if p.is_dir()):
        summary[f"pypi/{folder.name}"] = _append_package(data_dir, folder, new_end, days, seed)
    return summary


def _append_repo(
    folder: Path, old_end: date, new_end: date, days: int, seed: int, commits_per_day: int
) -> dict[str, int] | None:
    """New commits, issues/PRs, comments and a release of one repository (None: it has no commits)."""
    repo = f"{folder.parent.name}/{folder.name}"
    commits = _read_jsonl(folder / "commits.jsonl")
    if not commits:
        return None
    issues = _read_jsonl(folder / "issues.jsonl")
    comments = _read_jsonl(folder / "comments.jsonl")
    releases = _read_jsonl(folder / "releases.jsonl")
    gen = _RepoGenerator(repo, 1, seed, new_end)
    gen.rng = random.Random(_hash_int(seed, repo, "append", new_end.isoformat()))
    lo = datetime(old_end.year, old_end.month, old_end.day, tzinfo=UTC) + timedelta(days=1)
    gen.start = lo
    new_issue_objs = _new_issues(gen, issues, lo, days)
    new_comments, open_issues = _new_comments(gen, repo, issues, comments, lo)
    new_commits = _new_commits(gen, folder, commits, lo, days, new_end, commits_per_day)
    new_release = _new_release(gen, repo, releases, lo, new_end)
    # write back
    with (folder / "commits.jsonl").open("a", encoding="utf-8") as fh:
        fh.writelines(_dump(c) + "\n" for c in new_commits)
    _write_jsonl(folder / "issues.jsonl", issues + new_issue_objs)
    with (folder / "comments.jsonl").open("a", encoding="utf-8") as fh:
        fh.writelines(_dump(c) + "\n" for c in new_comments)
    with (folder / "releases.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(_dump(new_release) + "\n")
    repo_json = json.loads((folder / "repo.json").read_text())
    repo_json["pushed_at"] = _z(max(_parse(c["commit"]["committer"]["date"]) for c in new_commits))
    repo_json["stargazers_count"] += 3 * days
    repo_json["watchers_count"] = repo_json["stargazers_count"]
    repo_json["open_issues_count"] += len(new_issue_objs)
    (folder / "repo.json").write_text(_dump(repo_json) + "\n", encoding="utf-8")
    return {
        "repos": 1,
        "commits": len(new_commits),
        "issues": len(new_issue_objs) + len(open_issues),
        "issue_comments": len(new_comments),
        "releases": 1,
    }


def _append_package(data_dir: Path, folder: Path, new_end: date, days: int, seed: int) -> dict[str, int]:
    """New pypistats days and a new PyPI version of one package."""
    package = folder.name
    fresh = pypistats_bodies(package, seed, new_end, days=days)
    for metric, body in fresh.items():
        path = folder / f"{metric}.json"
        current = (
            json.loads(path.read_text())
            if path.exists()
            else {"data": [], **{k: v for k, v in body.items() if k != "data"}}
        )
        current["data"] = sorted(current["data"] + body["data"], key=lambda x: (x["category"], x["date"]))
        path.write_text(_dump(current) + "\n", encoding="utf-8")
    pypi_path = data_dir / "pypi" / f"{package}.json"
    changed = 0
    if pypi_path.exists():
        body = json.loads(pypi_path.read_text())
        version = f"{body['info']['version']}.post{new_end:%Y%m%d}"
        t = datetime(new_end.year, new_end.month, new_end.day, 12, tzinfo=UTC)
        rng = random.Random(_hash_int(seed, package, version))
        body["releases"][version] = _version_files(
            package, version, package_profile(package), t, ">=3.9", rng
        )
        body["last_serial"] += 1
        pypi_path.write_text(_dump(body) + "\n", encoding="utf-8")
        changed = 1
    return {"pypi_json": changed, "download_days": days}


def _new_issues(
    gen: _RepoGenerator, issues: list[dict[str, Any]], lo: datetime, days: int
) -> list[dict[str, Any]]:
    """Two new issues/PRs a day."""
    first_number = max((i["number"] for i in issues), default=gen.profile.first_number) + 1
    threads = []
    for k in range(2 * days):
        t = _moment(gen.rng, lo, gen.end - timedelta(hours=1))
        is_pr = k % 2 == 0
        author = gen.person({"contributor": 1.0})
        th = _Thread(
            first_number + k,
            is_pr,
            author,
            t,
            f"New {'change' if is_pr else 'report'} {first_number + k}",
            ["enhancement"] if is_pr else ["bug"],
        )
        th.updated = t
        threads.append(th)
    new_issue_objs = gen.issue_objects(threads)
    for obj in new_issue_objs:
        obj["updated_at"] = obj["created_at"]
    return new_issue_objs


def _new_comments(
    gen: _RepoGenerator, repo: str, issues: list[dict[str, Any]], comments: list[dict[str, Any]], lo: datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """New comments on three open issues (which updates them): (comments, issues commented)."""
    open_issues = [i for i in issues if i["state"] == "open"][:3]
    next_id = max((c["id"] for c in comments), default=1_000_000_000) + 1
    new_comments = []
    for issue in open_issues:
        t = _moment(gen.rng, lo, gen.end)
        who = gen.person({"maintainer": 1.0})
        new_comments.append(
            {
                "url": f"{API}/repos/{repo}/issues/comments/{next_id}",
                "html_url": f"{issue['html_url']}#issuecomment-{next_id}",
                "issue_url": issue["url"],
                "id": next_id,
                "node_id": f"IC_{next_id:x}",
                "user": who.user(),
                "created_at": _z(t),
                "updated_at": _z(t),
                "author_association": _assoc(who, "pull_request" in issue),
                "body": "Following up on this.",
                "reactions": {"total_count": 0, "+1": 0, "-1": 0},
                "performed_via_github_app": None,
            }
        )
        next_id += 1
        issue["comments"] += 1
        issue["updated_at"] = max(issue["updated_at"], _z(t), key=_epoch_key)
    new_comments.sort(key=lambda c: c["created_at"])
    return new_comments, open_issues


def _new_commits(
    gen: _RepoGenerator,
    folder: Path,
    commits: list[dict[str, Any]],
    lo: datetime,
    days: int,
    new_end: date,
    commits_per_day: int,
) -> list[dict[str, Any]]:
    """New commits on the default branch head (heads.jsonl follows, if the dataset has one)."""
    planned = []
    for _ in range(commits_per_day * days):
        who = gen.person({"maintainer": 0.8, "contributor": 0.2})
        t = _moment(gen.rng, lo, gen.end, who.offset)
        planned.append((t, who, t, "Follow-up fix", False))
    planned.sort(key=lambda x: x[0])
    heads = _read_jsonl(folder / "heads.jsonl")
    if heads:  # the default branch's head, not the newest commit (history may have been rewritten)
        parent = heads[-1]["sha"]
    else:
        parent = max(commits, key=lambda c: _epoch_key(c["commit"]["committer"]["date"]))["sha"]
    new_commits = gen._commit_objects(
        planned, len(commits) + 10_000 * days + _hash_int(new_end) % 10_000, parent
    )
    if heads:
        _write_jsonl(
            folder / "heads.jsonl",
            heads + [{"date": c["commit"]["committer"]["date"], "sha": c["sha"]} for c in new_commits],
        )
    return new_commits


def _new_release(
    gen: _RepoGenerator, repo: str, releases: list[dict[str, Any]], lo: datetime, new_end: date
) -> dict[str, Any]:
    """One new release."""
    t = _moment(gen.rng, lo, gen.end - timedelta(hours=1))
    last_release = max(releases, key=lambda r: _epoch_key(r["created_at"])) if releases else None
    rid = max((r["id"] for r in releases), default=100_000_000) + 1
    tag = f"{gen.profile.tag_prefix}{new_end:%Y.%m.%d}"
    new_release = {
        **(last_release or {}),
        "id": rid,
        "node_id": f"RE_{rid:x}",
        "tag_name": tag,
        "name": f"Release {new_end}",
        "prerelease": False,
        "draft": False,
        "created_at": _z(t),
        "published_at": _z(t + timedelta(minutes=30)),
        "url": f"{API}/repos/{repo}/releases/{rid}",
        "html_url": f"{WEB}/{repo}/releases/tag/{tag}",
        "author": ACTIONS.user(),
        "assets": [],
    }
    return new_release
