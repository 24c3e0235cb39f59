"""A slice of a real repository's history as a simulator dataset (``osspulse fake-api import-git``).

:func:`export_history` reads a git directory (``git log``/``rev-list``, no work tree needed) and
writes a small compact fixture: the commits that became reachable from the default branch during the
slice (with their parents, committer and author dates; names and e-mails pseudonymised) and the head
of each day, decided from the first-parent chain (the head as of day D is the newest first-parent
commit committed by the end of D). :func:`dataset_from_history` turns the fixture into a dataset the
simulator serves (``commits.jsonl`` with parents, ``heads.jsonl``), so a test can replay the slice
day by day with ``as_of``.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from osspulse_sim.generate.commits import commit_object
from osspulse_sim.generate.files import _write_jsonl
from osspulse_sim.generate.people import Person

FIELDS = "%H%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%s"


def _git(git_dir: Path, *args: str) -> str:
    return subprocess.run(
        ["git", f"--git-dir={git_dir}", *args], check=True, capture_output=True, text=True
    ).stdout


def _alias(kind: str, value: str) -> str:
    return f"{kind}-{hashlib.sha256(value.lower().encode()).hexdigest()[:10]}"


def _end_of(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), UTC)


def export_history(
    git_dir: Path, out: Path, *, branch: str, start: date, days: int, margin_days: int = 60
) -> dict[str, int]:
    """Write the compact fixture of ``days`` days of ``branch`` from ``start`` (gzip JSON lines).

    Commits reachable from the last day's head and not from the head ``margin_days`` before the
    start make the slice (older ancestors are cut, as in a shallow clone).
    """
    chain = []
    for line in _git(git_dir, "rev-list", "--first-parent", "--format=%H %cI", branch).splitlines():
        if line.startswith("commit "):
            continue
        sha, stamp = line.split(" ", 1)
        chain.append((datetime.fromisoformat(stamp).astimezone(UTC), sha))
    chain.sort()

    def head_at(moment: datetime) -> str | None:
        found = [sha for t, sha in chain if t <= moment]
        return found[-1] if found else None

    last_day = start + timedelta(days=days - 1)
    heads = [(d, head_at(_end_of(d))) for d in (start + timedelta(days=k) for k in range(days))]
    cut = head_at(_end_of(start - timedelta(days=margin_days)))
    log = _git(git_dir, "log", "--format=" + FIELDS, heads[-1][1], *([f"^{cut}"] if cut else []))
    commits = []
    for line in log.splitlines():
        sha, parents, an, ae, ad, cn, ce, cd, subject = line.split("\x00")
        commits.append(
            {
                "sha": sha,
                "parents": parents.split(),
                "author": [_alias("author", an), _alias("author", ae), ad],
                "committer": [_alias("committer", cn), _alias("committer", ce), cd],
                "message": subject,
            }
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(out, "wt", encoding="utf-8") as fh:
        meta = {"branch": branch, "start": start.isoformat(), "last_day": last_day.isoformat(), "cut": cut}
        fh.write(json.dumps({"meta": meta}) + "\n")
        for d, sha in heads:
            fh.write(json.dumps({"day": d.isoformat(), "head": sha}) + "\n")
        for c in commits:
            fh.write(json.dumps(c, separators=(",", ":")) + "\n")
    return {"commits": len(commits), "days": len(heads)}


def read_history(fixture: Path) -> tuple[dict[str, Any], list[dict[str, str]], list[dict[str, Any]]]:
    """(meta, heads by day, commits) of a fixture."""
    meta: dict[str, Any] = {}
    heads, commits = [], []
    with gzip.open(fixture, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if "meta" in row:
                meta = row["meta"]
            elif "head" in row:
                heads.append(row)
            else:
                commits.append(row)
    return meta, heads, commits


def dataset_from_history(fixture: Path, out: Path, repo: str) -> dict[str, Any]:
    """A simulator dataset of one repository from a fixture; returns the fixture's meta."""
    meta, heads, commits = read_history(fixture)
    in_slice = {c["sha"] for c in commits}
    folder = out / "github" / repo
    folder.mkdir(parents=True, exist_ok=True)
    objects = []
    for c in commits:
        an, ae, ad = c["author"]
        cn, ce, cd = c["committer"]
        who = Person(an, 0, an, f"{ae}@example.invalid", "+00:00", "contributor", linked=False)
        obj = commit_object(
            repo,
            c["sha"],
            who,
            datetime.fromisoformat(ad),
            datetime.fromisoformat(cd),
            c["message"],
            [p for p in c["parents"] if p in in_slice],  # older ancestors are cut (a shallow history)
            web_flow=False,
        )
        obj["commit"]["author"]["date"] = ad  # as git recorded them, offsets included
        obj["commit"]["committer"] = {"name": cn, "email": f"{ce}@example.invalid", "date": cd}
        objects.append(obj)
    _write_jsonl(folder / "commits.jsonl", objects)
    # the head from the start of each day (a day without a move keeps the previous head)
    head_rows, previous = [], None
    for row in heads:
        if row["head"] != previous and row["head"] in in_slice:
            head_rows.append({"date": f"{row['day']}T00:00:00Z", "sha": row["head"]})
            previous = row["head"]
    _write_jsonl(folder / "heads.jsonl", head_rows)
    owner, name = repo.split("/")
    body = {"id": 10_000_000 + len(commits), "name": name, "full_name": repo, "owner": {"login": owner}}
    body |= {"default_branch": meta.get("branch", "main"), "has_issues": True}
    (folder / "repo.json").write_text(json.dumps(body) + "\n", encoding="utf-8")
    (out / "tracked.yml").write_text(f"repos: [{repo}]\npackages: []\n", encoding="utf-8")
    return meta
