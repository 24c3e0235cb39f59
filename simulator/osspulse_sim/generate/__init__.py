"""A deterministic, realistic synthetic dataset for the simulator (``osspulse fake-api generate``).

Same arguments, byte-identical files: every random draw comes from a generator seeded with
``(seed, repo or package)`` and nothing reads the clock. What it holds, per tracked repository:

* ~420 days of history: issues and pull requests (merged, closed unmerged, open, drafts), some issues
  reopened, labels, stale bots; comments from the author, maintainers, other people and bots
  (``github-actions[bot]``, ``dependabot[bot]``), a few edited later;
* commits: squash merges of merged PRs (committer ``GitHub``, UTC) and direct commits whose author and
  committer dates carry the author's UTC offset (e.g. ``2026-01-31T23:30:00-05:00``); some authors have
  unknown e-mails, so the commit's ``author`` is null;
* releases (some pre-releases) and the repository object;

and per tracked package: 200 days of pypistats rows (overall with and without mirrors, python_minor,
system) and the PyPI JSON with every release (sdists and wheels, yanked versions, requires_python that
changes over time). Scale 1 is about 1.6k commits and 1k issues/PRs over the default repos; scale N
multiplies commits, issues, comments, releases and versions by N.

:func:`append_activity` adds a few more days of activity to an existing dataset (for incremental tests).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import yaml

from osspulse.settings import REPO_ROOT
from osspulse.tracked import Tracked, load_tracked
from osspulse_sim.generate.append import append_activity, dataset_end_date
from osspulse_sim.generate.files import _dump, _write_jsonl
from osspulse_sim.generate.profiles import DEFAULT_END_DATE, DEFAULT_SEED, GITHUB_DAYS
from osspulse_sim.generate.pypi_data import pypi_body, pypistats_bodies
from osspulse_sim.generate.quirks import commit_quirks, recreate_release, rename_login, renovate
from osspulse_sim.generate.repo import _RepoGenerator
from osspulse_sim.generate.reviews import pull_objects, reviews

log = logging.getLogger(__name__)


__all__ = [
    "DEFAULT_END_DATE",
    "DEFAULT_SEED",
    "append_activity",
    "dataset_end_date",
    "generate",
    "pypi_body",
    "pypistats_bodies",
]

# --- writing -----------------------------------------------------------------------------------------


def default_tracked() -> Tracked:
    return load_tracked(REPO_ROOT / "config" / "tracked.yml")


def write_tracked(
    path: Path, tracked: Tracked, *, extra_repos: Iterable[str] = (), extra_packages: Iterable[str] = ()
) -> None:
    data = tracked.to_dict()
    data["repos"] = list(dict.fromkeys([*data["repos"], *extra_repos]))
    data["packages"] = list(dict.fromkeys([*data["packages"], *extra_packages]))
    header = "# The tracked set of this simulator dataset (written by osspulse fake-api generate)\n"
    path.write_text(
        header + yaml.safe_dump(data, sort_keys=False, default_flow_style=False), encoding="utf-8"
    )


LONG_HISTORY_DAYS = 15 * 365


def pep503(name: str) -> str:
    """PEP 503 normalisation: the names pypistats and PyPI file a package under."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _write_repo(folder: Path, gen: _RepoGenerator) -> dict[str, int]:
    """One repository's files; the counts of what was written."""
    threads = gen.threads()
    renovate(threads)
    heads: list[dict[str, str]] = []
    if gen.profile.merge_style == "merge":
        commits, heads = gen.merge_history(threads)
    comments = gen.comments(threads)
    issues = gen.issue_objects(threads)
    if gen.profile.merge_style != "merge":
        commits = gen.commits(threads)
    commit_quirks(gen, commits)
    releases = gen.releases()
    recreate_release(gen, releases)
    pulls = pull_objects(gen, threads, issues)
    review_list, review_comments = reviews(gen, threads)
    for records in (issues, comments, review_list, pulls):
        rename_login(gen, records)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "repo.json").write_text(_dump(gen.repository(commits, issues)) + "\n", encoding="utf-8")
    if heads:
        _write_jsonl(folder / "heads.jsonl", heads)
    return {
        "commits": _write_jsonl(folder / "commits.jsonl", commits),
        "issues": _write_jsonl(folder / "issues.jsonl", issues),
        "comments": _write_jsonl(folder / "comments.jsonl", comments),
        "releases": _write_jsonl(folder / "releases.jsonl", releases),
        "pulls": _write_jsonl(folder / "pulls.jsonl", pulls),
        "reviews": _write_jsonl(folder / "reviews.jsonl", review_list),
        "review_comments": _write_jsonl(folder / "review_comments.jsonl", review_comments),
    }


def generate(
    out: Path | str,
    *,
    scale: int = 1,
    end_date: date = DEFAULT_END_DATE,
    seed: int = DEFAULT_SEED,
    tracked: Tracked | None = None,
    unknown_repos: Iterable[str] = (),
    unknown_packages: Iterable[str] = (),
    empty_repos: Iterable[str] = (),
    long_history_repos: Iterable[str] = (),
) -> dict[str, int]:
    """Write a dataset to ``out`` (created; existing files of the same names are replaced).

    Args:
        scale: multiplies commits, issues/PRs, comments, releases and PyPI versions.
        end_date: the dataset's "today": the last day of GitHub activity and of pypistats rows.
        tracked: the tracked set (default: config/tracked.yml).
        unknown_repos / unknown_packages: added to DIR/tracked.yml without data (the simulator says 404).
        empty_repos: repositories with a repo.json and no commits (the simulator says 409 on commits).
        long_history_repos: tracked repositories given 15 years of history instead of 420 days (for
            "a mature project added to the tracked set later"); opt-in, the default dataset stays small.

    Returns:
        Counts of what was written (commits, issues, comments, releases, download rows, versions).
    """
    if scale < 1:
        raise ValueError("scale must be >= 1")
    out = Path(out)
    tracked = tracked or default_tracked()
    empty_repos = list(empty_repos)
    totals = {
        "repos": 0,
        "commits": 0,
        "issues": 0,
        "comments": 0,
        "releases": 0,
        "download_rows": 0,
        "versions": 0,
    }
    out.mkdir(parents=True, exist_ok=True)
    write_tracked(
        out / "tracked.yml",
        tracked,
        extra_repos=[*unknown_repos, *empty_repos],
        extra_packages=unknown_packages,
    )
    long_history = set(long_history_repos)
    for repo in tracked.repos:
        days = LONG_HISTORY_DAYS if repo in long_history else GITHUB_DAYS
        written = _write_repo(out / "github" / repo, _RepoGenerator(repo, scale, seed, end_date, days))
        for name, n in written.items():
            totals[name] = totals.get(name, 0) + n
        totals["repos"] += 1
    for repo in empty_repos:
        gen = _RepoGenerator(repo, scale, seed, end_date)
        folder = out / "github" / repo
        folder.mkdir(parents=True, exist_ok=True)
        body = gen.repository([], [])
        body["size"] = 0
        (folder / "repo.json").write_text(_dump(body) + "\n", encoding="utf-8")
    for package in tracked.packages:
        folder = out / "pypistats" / pep503(package)
        folder.mkdir(parents=True, exist_ok=True)
        for metric, body in pypistats_bodies(package, seed, end_date).items():
            (folder / f"{metric}.json").write_text(_dump(body) + "\n", encoding="utf-8")
            totals["download_rows"] += len(body["data"])
        (out / "pypi").mkdir(parents=True, exist_ok=True)
        body = pypi_body(package, seed, end_date, scale)
        (out / "pypi" / f"{pep503(package)}.json").write_text(_dump(body) + "\n", encoding="utf-8")
        totals["versions"] += len(body["releases"])
    log.info("dataset in %s (scale %d, end %s): %s", out, scale, end_date, totals)
    return totals
