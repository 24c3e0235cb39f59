"""The GitHub side of a generated repository: issues and PRs, comments, releases, the repository."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from osspulse_sim.generate.commits import CommitsMixin
from osspulse_sim.generate.people import (
    ACTIONS,
    DEPENDABOT,
    Person,
    _after,
    _assoc,
    _epoch_key,
    _moment,
    _parse,
    _people,
    _z,
)
from osspulse_sim.generate.profiles import API, GITHUB_DAYS, WEB, _hash_int, repo_profile

log = logging.getLogger(__name__)

# --- GitHub ------------------------------------------------------------------------------------------

ISSUE_TITLES = (
    "{area}: NullPointerException when reading an empty table",
    "{area}: support for nested field pruning",
    "Docs: clarify the {area} configuration",
    "{area}: slow planning with many manifests",
    "Question: how to use {area} with S3?",
    "{area}: schema evolution drops column comments",
    "Flaky test in {area}",
    "{area}: add metrics for scans",
    "Regression in {area} after the last release",
    "{area}: time travel by timestamp fails across time zones",
)
PR_TITLES = (
    "{area}: fix handling of null partitions",
    "{area}: add support for {thing}",
    "Docs: update {area} guide",
    "{area}: refactor {thing} for readability",
    "Build: bump {thing} version",
    "{area}: improve error message for invalid {thing}",
    "{area}: speed up {thing}",
    "Core: remove deprecated {thing}",
)
THINGS = (
    "position deletes",
    "row lineage",
    "manifest caching",
    "schema ids",
    "view metadata",
    "metrics",
    "Arrow",
)
STALE = "This issue has been automatically marked as stale because it has been open for 180 days."
REMARKS = (
    "Thanks for the report!",
    "Could you share a reproducer?",
    "LGTM, merging.",
    "I can take this one.",
    "This looks related to a previous issue.",
    "Rebased on main.",
    "Good catch, +1.",
    "Any update on this?",
)
BUMPS = ("jackson", "netty", "junit", "pyarrow", "pydantic", "actions/checkout", "ruff", "gradle", "mkdocs")


@dataclass
class _Thread:
    """One issue or PR being generated."""

    number: int
    is_pr: bool
    author: Person
    created: datetime
    title: str
    labels: list[str]
    state: str = "open"
    state_reason: str | None = None
    closed: datetime | None = None
    merged: datetime | None = None
    draft: bool = False
    updated: datetime | None = None
    comments: int = 0


def _label(repo: str, name: str) -> dict[str, Any]:
    colors = {"bug": "d73a4a", "enhancement": "a2eeef", "question": "d876e3", "documentation": "0075ca"}
    lid = _hash_int(repo, "label", name) % 9_000_000_000
    return {
        "id": lid,
        "node_id": f"LA_{lid:x}",
        "url": f"{API}/repos/{repo}/labels/{name.replace(' ', '%20')}",
        "name": name,
        "color": colors.get(name, f"{_hash_int(name) % 0xFFFFFF:06x}"),
        "default": name in colors,
        "description": None,
    }


class _RepoGenerator(CommitsMixin):
    def __init__(self, repo: str, scale: int, seed: int, end: date, days: int = GITHUB_DAYS) -> None:
        self.repo = repo
        profile = repo_profile(repo)
        if days != GITHUB_DAYS:  # a longer history: as busy per day as the usual window
            factor = days / GITHUB_DAYS
            profile = replace(
                profile,
                commits=int(profile.commits * factor),
                issues=int(profile.issues * factor),
                releases=int(profile.releases * factor),
            )
        self.profile = profile
        self.scale = scale
        self.rng = random.Random(_hash_int(seed, repo))
        self.end = datetime(end.year, end.month, end.day, 23, 59, 59, tzinfo=UTC)
        self.start = self.end - timedelta(days=days) + timedelta(seconds=1)
        self.people = _people(repo, seed, scale)
        self.repo_id = 100_000_000 + _hash_int(repo, "id") % 800_000_000

    def person(self, weights: dict[str, float]) -> Person:
        roles = list(weights)
        role = self.rng.choices(roles, [weights[r] for r in roles])[0]
        if role == "dependabot":
            return DEPENDABOT
        if role == "actions":
            return ACTIONS
        pool = self.people[role]
        # a few people do most of the work: pick with a heavy head
        return pool[min(len(pool) - 1, int(len(pool) * self.rng.random() ** 2.2))]

    def clamp(self, t: datetime) -> datetime | None:
        return t if t <= self.end else None

    # issues and PRs ---------------------------------------------------------------------------
    def threads(self) -> list[_Thread]:
        rng, p = self.rng, self.profile
        n = p.issues * self.scale
        created = sorted(_moment(rng, self.start, self.end - timedelta(hours=2)) for _ in range(n))
        threads = []
        for i, t in enumerate(created):
            is_pr = rng.random() < 0.56
            area = rng.choice(p.areas)
            if is_pr:
                author = self.person(
                    {"maintainer": 0.32, "contributor": 0.42, "user": 0.12, "dependabot": 0.14}
                )
            else:
                author = self.person({"maintainer": 0.18, "contributor": 0.25, "user": 0.57})
            if author is DEPENDABOT:
                old, new = f"1.{rng.randrange(9)}.0", f"1.{rng.randrange(9, 20)}.1"
                title = f"Build: Bump {rng.choice(BUMPS)} from {old} to {new}"
                labels = ["dependencies", rng.choice(("java", "python", "github_actions"))]
            elif is_pr:
                title = rng.choice(PR_TITLES).format(area=area.title(), thing=rng.choice(THINGS))
                labels = [area] + (["documentation"] if title.startswith("Docs") else [])
            else:
                title = rng.choice(ISSUE_TITLES).format(area=area.title())
                kind = (
                    "question" if title.startswith("Question") else rng.choice(("bug", "bug", "enhancement"))
                )
                labels = [kind, area] + (["good first issue"] if rng.random() < 0.07 else [])
            th = _Thread(p.first_number + i, is_pr, author, t, title, labels)
            self._outcome(th)
            threads.append(th)
        return threads

    def _outcome(self, th: _Thread) -> None:
        rng = self.rng
        roll = rng.random()
        if th.is_pr and th.author is DEPENDABOT:
            if roll < 0.55:
                th.merged = self.clamp(_after(rng, th.created, 20))
            elif roll < 0.95:
                th.closed = self.clamp(_after(rng, th.created, 60))
                th.state_reason = None
        elif th.is_pr:
            th.draft = rng.random() < 0.08
            if roll < 0.66 and not th.draft:
                th.merged = self.clamp(_after(rng, th.created, 40, 1.4))
            elif roll < 0.82:
                th.closed = self.clamp(_after(rng, th.created, 150, 1.3))
        else:
            if roll < 0.52:
                th.closed, th.state_reason = self.clamp(_after(rng, th.created, 120, 1.6)), "completed"
            elif roll < 0.67:
                th.closed, th.state_reason = self.clamp(_after(rng, th.created, 48, 1.3)), "not_planned"
        if th.merged:
            th.closed = th.merged
        if th.closed:
            th.state = "closed"
            # reopened issues: reopened after the first close, then open again or closed a second time
            if not th.is_pr and rng.random() < 0.09:
                reopened = _after(rng, th.closed, 100)
                if reopened > self.end:
                    pass
                elif rng.random() < 0.5:
                    th.state, th.state_reason, th.closed = "open", "reopened", None
                    th.updated = reopened
                else:
                    th.closed = self.clamp(_after(rng, reopened, 72))
                    if th.closed is None:
                        th.state, th.state_reason, th.updated = "open", "reopened", reopened
                    else:
                        th.state_reason = "completed"
        else:
            th.state, th.state_reason = "open", th.state_reason if th.state_reason == "reopened" else None

    def comments(self, threads: list[_Thread]) -> list[dict[str, Any]]:
        rng = self.rng
        out: list[tuple[datetime, int, dict[str, Any]]] = []
        next_id = 1_000_000_000 + _hash_int(self.repo, "comments") % 900_000_000
        for th in threads:
            horizon = th.closed or self.end
            last = th.created
            for j in range(self._comment_count(th)):
                who, t = self._commenter(th, j, last, horizon)
                if t > self.end:
                    break
                last = max(last, t)
                updated = min(self.end, _after(rng, t, 3)) if rng.random() < 0.1 else t
                body = self._comment_body(who, th)
                cid = next_id
                next_id += 1 + rng.randrange(3)
                out.append((t, cid, self._comment_object(th, cid, who, t, updated, body)))
                th.comments += 1
                th.updated = max(th.updated or th.created, updated)
        # comment ids grow with time, as on GitHub
        out.sort(key=lambda x: (x[0], x[1]))
        ids = sorted(c[1] for c in out)
        comments = []
        for (_, _, obj), cid in zip(out, ids, strict=True):
            obj["id"], obj["node_id"] = cid, f"IC_{cid:x}"
            obj["url"] = f"{API}/repos/{self.repo}/issues/comments/{cid}"
            obj["html_url"] = obj["html_url"].rsplit("#", 1)[0] + f"#issuecomment-{cid}"
            comments.append(obj)
        return comments

    def _comment_count(self, th: _Thread) -> int:
        if th.author is DEPENDABOT:
            return self.rng.choice((0, 0, 0, 1, 1, 2))
        if th.is_pr:
            return min(14, int(self.rng.expovariate(1 / 3.0)))
        return min(18, int(self.rng.expovariate(1 / 2.6)))

    def _commenter(self, th: _Thread, j: int, last: datetime, horizon: datetime) -> tuple[Person, datetime]:
        """Who comments the j-th time, and when (mostly before the thread closed)."""
        rng = self.rng
        if j == 0:  # the first response: maintainers mostly, bots on PRs
            who = self.person({"maintainer": 0.7, "contributor": 0.18, "actions": 0.12 if th.is_pr else 0.0})
            t = _after(rng, th.created, 9, 1.5)
        else:
            others = {"maintainer": 0.45, "contributor": 0.3, "user": 0.17, "actions": 0.08}
            who = th.author if rng.random() < 0.35 else self.person(others)
            t = _after(rng, last, 20, 1.4)
        if th.closed and t > horizon and rng.random() < 0.8:
            t = horizon - timedelta(minutes=rng.randrange(1, 90))
            if t <= th.created:
                t = th.created + timedelta(minutes=5)
        return who, t

    def _comment_body(self, who: Person, th: _Thread) -> str:
        if who is ACTIONS:
            return "CI: all checks passed." if th.is_pr else STALE
        return self.rng.choice(REMARKS)

    def _comment_object(
        self, th: _Thread, cid: int, who: Person, t: datetime, updated: datetime, body: str
    ) -> dict[str, Any]:
        th_url = f"{WEB}/{self.repo}/{'pull' if th.is_pr else 'issues'}/{th.number}"
        return {
            "url": f"{API}/repos/{self.repo}/issues/comments/{cid}",
            "html_url": f"{th_url}#issuecomment-{cid}",
            "issue_url": f"{API}/repos/{self.repo}/issues/{th.number}",
            "id": cid,
            "node_id": f"IC_{cid:x}",
            "user": who.user(),
            "created_at": _z(t),
            "updated_at": _z(updated),
            "author_association": _assoc(who, th.is_pr and who is th.author),
            "body": body,
            "reactions": {"total_count": 0, "+1": 0, "-1": 0},
            "performed_via_github_app": None,
        }

    def issue_objects(self, threads: list[_Thread]) -> list[dict[str, Any]]:
        out = []
        for th in threads:
            updated = max(t for t in (th.created, th.closed, th.updated) if t is not None)
            if self.rng.random() < 0.15:  # a later label or title edit
                updated = min(self.end, _after(self.rng, updated, 30))
            iid = 2_000_000_000 + _hash_int(self.repo, "issue", th.number) % 900_000_000
            kind = "pull" if th.is_pr else "issues"
            obj: dict[str, Any] = {
                "url": f"{API}/repos/{self.repo}/issues/{th.number}",
                "repository_url": f"{API}/repos/{self.repo}",
                "labels_url": f"{API}/repos/{self.repo}/issues/{th.number}/labels{{/name}}",
                "comments_url": f"{API}/repos/{self.repo}/issues/{th.number}/comments",
                "html_url": f"{WEB}/{self.repo}/{kind}/{th.number}",
                "id": iid,
                "node_id": f"I_{iid:x}",
                "number": th.number,
                "title": th.title,
                "user": th.author.user(),
                "labels": [_label(self.repo, name) for name in th.labels],
                "state": th.state,
                "locked": False,
                "assignee": None,
                "assignees": [],
                "milestone": None,
                "comments": th.comments,
                "created_at": _z(th.created),
                "updated_at": _z(updated),
                "closed_at": _z(th.closed) if th.closed else None,
                "author_association": _assoc(th.author, th.is_pr),
                "active_lock_reason": None,
                "body": f"{th.title}.\n\nDetails follow.",
                "reactions": {"total_count": 0, "+1": 0, "-1": 0},
                "state_reason": th.state_reason,
            }
            if th.is_pr:
                obj["draft"] = th.draft
                obj["pull_request"] = {
                    "url": f"{API}/repos/{self.repo}/pulls/{th.number}",
                    "html_url": f"{WEB}/{self.repo}/pull/{th.number}",
                    "diff_url": f"{WEB}/{self.repo}/pull/{th.number}.diff",
                    "patch_url": f"{WEB}/{self.repo}/pull/{th.number}.patch",
                    "merged_at": _z(th.merged) if th.merged else None,
                }
            out.append(obj)
        return out

    # commits ----------------------------------------------------------------------------------
    def releases(self) -> list[dict[str, Any]]:
        rng, p = self.rng, self.profile
        n = p.releases * self.scale
        times = sorted(_moment(rng, self.start, self.end - timedelta(days=1)) for _ in range(n))
        major, minor = p.version
        patch = 0
        out = []
        rc = 0
        for i, t in enumerate(times):
            roll = rng.random()
            if i and roll < 0.25 and rc == 0:  # a release candidate of the next minor
                rc = 1
                version, prerelease = f"{major}.{minor + 1}.0-rc{rc}", True
            elif rc and roll < 0.4:
                rc += 1
                version, prerelease = f"{major}.{minor + 1}.0-rc{rc}", True
            elif rc or (i and roll < 0.55):
                minor, patch, rc = minor + 1, 0, 0
                version, prerelease = f"{major}.{minor}.{patch}", False
            else:
                if i:
                    patch += 1
                version, prerelease = f"{major}.{minor}.{patch}", False
            author = ACTIONS if rng.random() < 0.3 else self.person({"maintainer": 1.0})
            rid = 100_000_000 + _hash_int(self.repo, "release", i) % 800_000_000
            tag = f"{self.profile.tag_prefix}{version}"
            published = min(self.end, t + timedelta(minutes=rng.randrange(3, 2000)))
            out.append(
                {
                    "url": f"{API}/repos/{self.repo}/releases/{rid}",
                    "html_url": f"{WEB}/{self.repo}/releases/tag/{tag}",
                    "assets_url": f"{API}/repos/{self.repo}/releases/{rid}/assets",
                    "upload_url": f"https://uploads.github.com/repos/{self.repo}/releases/{rid}/assets{{?name,label}}",
                    "tarball_url": f"{API}/repos/{self.repo}/tarball/{tag}",
                    "zipball_url": f"{API}/repos/{self.repo}/zipball/{tag}",
                    "id": rid,
                    "node_id": f"RE_{rid:x}",
                    "tag_name": tag,
                    "target_commitish": self.profile.default_branch,
                    "name": f"{self.repo.split('/')[1].title()} {version}",
                    "draft": False,
                    "prerelease": prerelease,
                    "created_at": _z(t),
                    "published_at": _z(published),
                    "author": author.user(),
                    "assets": [],
                    "body": f"## What's changed\n\n* Release {version}",
                }
            )
        return out

    def repository(self, commits: list[dict], issues: list[dict]) -> dict[str, Any]:
        owner = self.repo.split("/")[0]
        p = self.profile
        open_count = sum(1 for i in issues if i["state"] == "open")
        pushed = max(
            (c["commit"]["committer"]["date"] for c in commits), default=None, key=lambda d: _epoch_key(d)
        )
        oid = 40_000_000 + _hash_int(owner) % 9_000_000
        stars = p.stars * self.scale
        return {
            "id": self.repo_id,
            "node_id": f"R_{self.repo_id:x}",
            "name": self.repo.split("/")[1],
            "full_name": self.repo,
            "private": False,
            "owner": {
                "login": owner,
                "id": oid,
                "node_id": f"O_{oid:x}",
                "type": "Organization",
                "url": f"{API}/users/{owner}",
                "html_url": f"{WEB}/{owner}",
                "site_admin": False,
            },
            "html_url": f"{WEB}/{self.repo}",
            "description": p.description,
            "fork": False,
            "url": f"{API}/repos/{self.repo}",
            "created_at": p.created_at,
            "updated_at": _z(self.end - timedelta(hours=3)),
            "pushed_at": _z(_parse(pushed)) if pushed else None,
            "homepage": f"https://{self.repo.split('/')[1]}.apache.org/" if owner == "apache" else None,
            "size": 50_000 + len(commits) * 40,
            "stargazers_count": stars,
            "watchers_count": stars,
            "language": p.language,
            "has_issues": True,
            "has_projects": True,
            "has_wiki": False,
            "has_pages": False,
            "has_discussions": True,
            "forks_count": p.forks * self.scale,
            "archived": False,
            "disabled": False,
            "open_issues_count": open_count,
            "license": {
                "key": p.license[0],
                "name": p.license[1],
                "spdx_id": p.license[2],
                "url": f"{API}/licenses/{p.license[0]}",
                "node_id": "MDc6TGljZW5zZTI=",
            },
            "allow_forking": True,
            "is_template": False,
            "topics": list(p.topics),
            "visibility": "public",
            "forks": p.forks * self.scale,
            "open_issues": open_count,
            "watchers": stars,
            "default_branch": p.default_branch,
            "network_count": p.forks * self.scale,
            "subscribers_count": p.subscribers,
        }
