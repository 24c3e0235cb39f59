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

import hashlib
import json
import logging
import math
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml

from osspulse.settings import REPO_ROOT
from osspulse.tracked import Tracked, load_tracked

log = logging.getLogger(__name__)

DEFAULT_END_DATE = date(2026, 11, 1)
DEFAULT_SEED = 42
GITHUB_DAYS = 420
DOWNLOAD_DAYS = 200
API = "https://api.github.com"
WEB = "https://github.com"


# --- profiles ----------------------------------------------------------------------------------------


APACHE = ("apache-2.0", "Apache License 2.0", "Apache-2.0")


@dataclass(frozen=True)
class RepoProfile:
    """Sizes at scale 1 and the look of a repository."""

    commits: int
    issues: int  # issues and PRs
    releases: int
    language: str = "Java"
    stars: int = 1000
    forks: int = 300
    subscribers: int = 50
    default_branch: str = "main"
    created_at: str = "2020-03-01T10:00:00Z"
    first_number: int = 100  # the number of the first issue/PR in the window
    version: tuple[int, int] = (0, 1)  # (major, minor) of the first release in the window
    tag_prefix: str = "v"
    description: str = ""
    license: tuple[str, str, str] = APACHE  # key, name, spdx
    topics: tuple[str, ...] = ()
    areas: tuple[str, ...] = ("core", "docs", "build")  # labels and title words


REPO_PROFILES: dict[str, RepoProfile] = {
    "apache/iceberg": RepoProfile(
        commits=560,
        issues=330,
        releases=14,
        stars=7400,
        forks=2600,
        subscribers=190,
        created_at="2018-11-19T19:31:16Z",
        first_number=11200,
        version=(1, 6),
        tag_prefix="apache-iceberg-",
        description="Apache Iceberg",
        topics=("iceberg", "apache", "big-data", "sql"),
        areas=("core", "spark", "flink", "api", "docs", "aws"),
    ),
    "apache/hudi": RepoProfile(
        commits=430,
        issues=270,
        releases=12,
        stars=5600,
        forks=2400,
        subscribers=1200,
        default_branch="master",
        created_at="2016-12-14T00:15:13Z",
        first_number=11900,
        version=(0, 15),
        tag_prefix="release-",
        description="Upserts, Deletes And Incremental Processing on Big Data.",
        topics=("hudi", "apache", "data-lake", "stream-processing"),
        areas=("writer", "spark", "flink", "table-service"),
    ),
    "delta-io/delta": RepoProfile(
        commits=380,
        issues=220,
        releases=10,
        language="Scala",
        stars=8100,
        forks=1800,
        subscribers=150,
        default_branch="master",
        created_at="2019-04-22T18:56:51Z",
        first_number=3600,
        version=(3, 2),
        description="An open-source storage framework that enables building a Lakehouse architecture",
        topics=("delta-lake", "spark", "big-data"),
        areas=("spark", "kernel", "sharing", "uniform"),
    ),
    "apache/iceberg-python": RepoProfile(
        commits=240,
        issues=180,
        releases=12,
        language="Python",
        stars=800,
        forks=300,
        subscribers=30,
        created_at="2023-09-26T08:13:17Z",
        first_number=1400,
        version=(0, 7),
        tag_prefix="pyiceberg-",
        description="PyIceberg",
        topics=("iceberg", "python", "pyarrow"),
        areas=("io", "catalog", "table", "expressions", "docs"),
    ),
}


@dataclass(frozen=True)
class PackageProfile:
    daily: int  # typical daily downloads (without mirrors) at the end of the window
    versions: int  # at scale 1
    binary: bool  # platform wheels (else one pure-Python wheel)
    version: tuple[int, int]  # (major, minor) of the first version
    summary: str
    license: str = "Apache-2.0"
    repo_url: str = ""


PACKAGE_PROFILES: dict[str, PackageProfile] = {
    "pyiceberg": PackageProfile(
        1_400_000,
        22,
        True,
        (0, 4),
        "Apache Iceberg is an open table format for huge analytic datasets",
        repo_url="https://github.com/apache/iceberg-python",
    ),
    "delta-spark": PackageProfile(
        650_000,
        18,
        False,
        (2, 3),
        "Python APIs for using Delta Lake with Apache Spark",
        repo_url="https://github.com/delta-io/delta",
    ),
    "hudi": PackageProfile(
        1_800,
        8,
        False,
        (0, 1),
        "Python bindings for Apache Hudi",
        repo_url="https://github.com/apache/hudi-rs",
    ),
    "deltalake": PackageProfile(
        900_000,
        30,
        True,
        (0, 15),
        "Native Delta Lake Python binding based on delta-rs with Pandas integration",
        repo_url="https://github.com/delta-io/delta-rs",
    ),
}


def _hash_int(*parts: object) -> int:
    return int(hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()[:15], 16)


def repo_profile(repo: str) -> RepoProfile:
    """The profile of a default repo, or a plausible one derived from the name of any other."""
    if repo in REPO_PROFILES:
        return REPO_PROFILES[repo]
    h = _hash_int("profile", repo)
    return RepoProfile(
        commits=150 + h % 250,
        issues=80 + h % 150,
        releases=6 + h % 8,
        language=("Python", "Java", "Rust", "Go")[h % 4],
        stars=200 + h % 5000,
        forks=50 + h % 900,
        subscribers=20 + h % 200,
        first_number=100 + h % 3000,
        version=(0, 1 + h % 9),
        description=f"The {repo.split('/')[1]} project",
        topics=("open-source",),
    )


def package_profile(package: str) -> PackageProfile:
    if package in PACKAGE_PROFILES:
        return PACKAGE_PROFILES[package]
    h = _hash_int("profile", package)
    return PackageProfile(
        500 + h % 200_000,
        6 + h % 15,
        bool(h % 2),
        (0, 1 + h % 5),
        f"The {package} package",
        "MIT",
        f"https://github.com/example/{package}",
    )


# --- people ------------------------------------------------------------------------------------------

FIRST = (
    "alex maria wei priya jonas fatima kenji olga diego amara liam sofia ravi chen noah yuki ines omar lena "
    "tomas ana pavel hana arjun eva marco zoe ivan mei sam nadia felix rosa ahmed julia kai elena"
).split()
LAST = (
    "kim garcia mueller singh rossi tanaka novak silva chen okafor dubois larsen kowalski haddad ito nguyen "
    "schmidt costa petrov ali meyer berg lopez sato khan"
).split()
OFFSETS = (
    "-08:00",
    "-07:00",
    "-05:00",
    "-05:00",
    "-04:00",
    "-03:00",
    "+00:00",
    "+01:00",
    "+01:00",
    "+02:00",
    "+03:00",
    "+05:30",
    "+08:00",
    "+08:00",
    "+09:00",
    "+10:00",
)
BOTS = {
    "dependabot[bot]": 49699333,
    "github-actions[bot]": 41898282,
}


@dataclass(frozen=True)
class Person:
    login: str
    id: int
    name: str
    email: str
    offset: str
    role: str  # maintainer | contributor | user | bot
    linked: bool = True  # the commit e-mail belongs to the GitHub account

    @property
    def is_bot(self) -> bool:
        return self.role == "bot"

    def user(self) -> dict[str, Any]:
        """GitHub's "simple user" object."""
        return {
            "login": self.login,
            "id": self.id,
            "node_id": f"U_{self.id:x}",
            "avatar_url": f"https://avatars.githubusercontent.com/u/{self.id}?v=4",
            "url": f"{API}/users/{self.login}",
            "html_url": f"{WEB}/{self.login}" if not self.is_bot else f"{WEB}/apps/{self.login[:-5]}",
            "type": "Bot" if self.is_bot else "User",
            "site_admin": False,
        }


def _bot(login: str) -> Person:
    uid = BOTS[login]
    return Person(login, uid, login, f"{uid}+{login}@users.noreply.github.com", "+00:00", "bot")


DEPENDABOT, ACTIONS = _bot("dependabot[bot]"), _bot("github-actions[bot]")
WEB_FLOW = {"login": "web-flow", "id": 19864447, "node_id": "U_web_flow", "type": "User", "site_admin": False}


def _people(repo: str, seed: int, scale: int) -> dict[str, list[Person]]:
    """Maintainers, contributors and users of a repo (the scale-1 pool is a prefix of larger ones)."""
    rng = random.Random(_hash_int(seed, repo, "people"))
    used: set[str] = set()
    pools: dict[str, list[Person]] = {"maintainer": [], "contributor": [], "user": []}
    sizes = {"maintainer": 8, "contributor": 30 * scale, "user": 90 * scale}
    for role in ("maintainer", "contributor", "user"):
        for _ in range(sizes[role]):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            style = rng.randrange(4)
            login = (
                f"{first}{last}",
                f"{first}-{last}",
                f"{first[0]}{last}",
                f"{first}{rng.randrange(10, 99)}",
            )[style]
            while login in used:
                login = f"{login}{rng.randrange(10)}"
            used.add(login)
            uid = 1_000_000 + _hash_int(login) % 150_000_000
            company = rng.random() < 0.5
            email = (
                f"{first}.{last}@{rng.choice(('gmail.com', 'apache.org', 'example.com'))}"
                if company
                else (f"{uid}+{login}@users.noreply.github.com")
            )
            linked = role == "maintainer" or rng.random() > 0.12
            pools[role].append(
                Person(
                    login, uid, f"{first.title()} {last.title()}", email, rng.choice(OFFSETS), role, linked
                )
            )
    return pools


def _assoc(person: Person, is_pr: bool) -> str:
    if person.login == DEPENDABOT.login:
        return "CONTRIBUTOR"
    if person.is_bot:
        return "NONE"
    return {"maintainer": "MEMBER", "contributor": "CONTRIBUTOR"}.get(
        person.role, "FIRST_TIME_CONTRIBUTOR" if is_pr else "NONE"
    )


# --- time --------------------------------------------------------------------------------------------


def _z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _local(moment: datetime, offset: str) -> str:
    sign = -1 if offset[0] == "-" else 1
    hours, minutes = int(offset[1:3]), int(offset[4:6])
    tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    text = moment.astimezone(tz).replace(microsecond=0).isoformat()
    return text.replace("+00:00", "Z")


def _moment(rng: random.Random, lo: datetime, hi: datetime, offset: str = "+00:00") -> datetime:
    """A random moment in [lo, hi], fewer on weekends and at local night (rejection sampling)."""
    span = (hi - lo).total_seconds()
    if span <= 0:
        return lo
    sign = -1 if offset[0] == "-" else 1
    shift = sign * (int(offset[1:3]) * 3600 + int(offset[4:6]) * 60)
    for _ in range(20):
        t = lo + timedelta(seconds=int(rng.random() * span))
        local = t + timedelta(seconds=shift)
        weight = (0.45 if local.weekday() >= 5 else 1.0) * (0.35 if local.hour < 8 else 1.0)
        if rng.random() < weight:
            return t
    return lo + timedelta(seconds=int(rng.random() * span))


def _after(rng: random.Random, t: datetime, median_h: float, sigma: float = 1.2) -> datetime:
    """``t`` plus a log-normal delay with the given median (hours)."""
    return t + timedelta(seconds=int(3600 * median_h * math.exp(rng.gauss(0, sigma))) + 60)


def _sha(*parts: object) -> str:
    return hashlib.sha1(":".join(map(str, parts)).encode()).hexdigest()  # noqa: S324 - not for security


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


class _RepoGenerator:
    def __init__(self, repo: str, scale: int, seed: int, end: date) -> None:
        self.repo = repo
        self.profile = repo_profile(repo)
        self.scale = scale
        self.rng = random.Random(_hash_int(seed, repo))
        self.end = datetime(end.year, end.month, end.day, 23, 59, 59, tzinfo=UTC)
        self.start = self.end - timedelta(days=GITHUB_DAYS) + timedelta(seconds=1)
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
            if th.author is DEPENDABOT:
                k = rng.choice((0, 0, 0, 1, 1, 2))
            elif th.is_pr:
                k = min(14, int(rng.expovariate(1 / 3.0)))
            else:
                k = min(18, int(rng.expovariate(1 / 2.6)))
            horizon = th.closed or self.end
            th_url = f"{WEB}/{self.repo}/{'pull' if th.is_pr else 'issues'}/{th.number}"
            last = th.created
            for j in range(k):
                if j == 0:  # the first response: maintainers mostly, bots on PRs
                    who = self.person(
                        {"maintainer": 0.7, "contributor": 0.18, "actions": 0.12 if th.is_pr else 0.0}
                    )
                    t = _after(rng, th.created, 9, 1.5)
                else:
                    who = (
                        th.author
                        if rng.random() < 0.35
                        else self.person(
                            {"maintainer": 0.45, "contributor": 0.3, "user": 0.17, "actions": 0.08}
                        )
                    )
                    t = _after(rng, last, 20, 1.4)
                if th.closed and t > horizon and rng.random() < 0.8:
                    t = horizon - timedelta(minutes=rng.randrange(1, 90))
                    if t <= th.created:
                        t = th.created + timedelta(minutes=5)
                if t > self.end:
                    break
                last = max(last, t)
                updated = t
                if rng.random() < 0.1:
                    updated = min(self.end, _after(rng, t, 3))
                body = (
                    "This issue has been automatically marked as stale because it has been open for 180 days."
                    if who is ACTIONS and not th.is_pr
                    else (
                        "CI: all checks passed."
                        if who is ACTIONS
                        else rng.choice(
                            (
                                "Thanks for the report!",
                                "Could you share a reproducer?",
                                "LGTM, merging.",
                                "I can take this one.",
                                "This looks related to a previous issue.",
                                "Rebased on main.",
                                "Good catch, +1.",
                                "Any update on this?",
                            )
                        )
                    )
                )
                cid = next_id
                next_id += 1 + rng.randrange(3)
                out.append(
                    (
                        t,
                        cid,
                        {
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
                        },
                    )
                )
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
    def commits(
        self, threads: list[_Thread], *, first_index: int = 0, parent: str | None = None
    ) -> list[dict]:
        rng = self.rng
        planned: list[
            tuple[datetime, Person, datetime, str, bool]
        ] = []  # committed, author, authored, msg, squash
        for th in threads:
            if th.merged:
                authored = th.merged - timedelta(seconds=int(3600 * rng.uniform(0.3, 60)))
                planned.append((th.merged, th.author, authored, f"{th.title} (#{th.number})", True))
        target = self.profile.commits * self.scale
        direct = max(target // 6, target - len(planned))
        for _ in range(direct):
            who = self.person({"maintainer": 0.75, "contributor": 0.25})
            t = _moment(rng, self.start, self.end, who.offset)
            msg = rng.choice(
                (
                    "Fix typo in docs",
                    "Update CI workflow",
                    "Clean up imports",
                    "Bump version",
                    "Address review comments",
                    "Revert flaky test change",
                    "Add missing license header",
                )
            )
            planned.append((t, who, t, msg, False))
        planned.sort(key=lambda x: x[0])
        return self._commit_objects(planned, first_index, parent)

    def _commit_objects(
        self,
        planned: list[tuple[datetime, Person, datetime, str, bool]],
        first_index: int,
        parent: str | None,
    ) -> list[dict[str, Any]]:
        out = []
        for i, (committed, who, authored, msg, squash) in enumerate(planned, first_index):
            sha = _sha(self.repo, "commit", i)
            author_git = {"name": who.name, "email": who.email, "date": _local(authored, who.offset)}
            if squash:
                committer_git = {"name": "GitHub", "email": "noreply@github.com", "date": _z(committed)}
                committer_user: dict[str, Any] | None = dict(WEB_FLOW)
            else:
                committer_git = {**author_git, "date": _local(committed, who.offset)}
                committer_user = who.user() if who.linked else None
            out.append(
                {
                    "sha": sha,
                    "node_id": f"C_{sha[:20]}",
                    "commit": {
                        "author": author_git,
                        "committer": committer_git,
                        "message": msg,
                        "tree": {
                            "sha": _sha(sha, "tree"),
                            "url": f"{API}/repos/{self.repo}/git/trees/{_sha(sha, 'tree')}",
                        },
                        "url": f"{API}/repos/{self.repo}/git/commits/{sha}",
                        "comment_count": 0,
                        "verification": {
                            "verified": squash,
                            "reason": "valid" if squash else "unsigned",
                            "signature": None,
                            "payload": None,
                            "verified_at": None,
                        },
                    },
                    "url": f"{API}/repos/{self.repo}/commits/{sha}",
                    "html_url": f"{WEB}/{self.repo}/commit/{sha}",
                    "comments_url": f"{API}/repos/{self.repo}/commits/{sha}/comments",
                    "author": who.user() if who.linked else None,
                    "committer": committer_user,
                    "parents": []
                    if parent is None
                    else [
                        {
                            "sha": parent,
                            "url": f"{API}/repos/{self.repo}/commits/{parent}",
                            "html_url": f"{WEB}/{self.repo}/commit/{parent}",
                        }
                    ],
                }
            )
            parent = sha
        return out

    # releases ---------------------------------------------------------------------------------
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


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _epoch_key(text: str) -> float:
    return _parse(text).timestamp()


# --- PyPI and pypistats ------------------------------------------------------------------------------

PY_MINORS = ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13")
SYSTEMS = (("Linux", 0.86), ("Darwin", 0.07), ("Windows", 0.05), ("null", 0.02))
WHEEL_TAGS = (
    "cp39-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64",
    "cp39-abi3-manylinux_2_17_aarch64.manylinux2014_aarch64",
    "cp39-abi3-macosx_10_12_x86_64",
    "cp39-abi3-macosx_11_0_arm64",
    "cp39-abi3-win_amd64",
)


def _split(total: int, shares: list[float]) -> list[int]:
    """``total`` split by ``shares`` into integers that add up exactly (largest remainder)."""
    s = sum(shares)
    raw = [total * x / s for x in shares]
    out = [int(r) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - out[i], reverse=True)[: total - sum(out)]:
        out[i] += 1
    return out


def pypistats_bodies(
    package: str, seed: int, end: date, days: int = DOWNLOAD_DAYS, first_day: int = 0
) -> dict:
    """``{metric: body}`` for days ``first_day .. days-1`` of the window ending at ``end``."""
    profile = package_profile(package)
    rows: dict[str, list[dict[str, Any]]] = {"overall": [], "python_minor": [], "system": []}
    for d in range(first_day, days):
        day = end - timedelta(days=days - 1 - d)
        rng = random.Random(_hash_int(seed, package, "downloads", day.isoformat()))
        x = d / max(1, days - 1)  # 0 .. 1 across the window
        growth = 0.7 + 0.3 * x
        weekday = 0.62 if day.weekday() >= 5 else 1.0
        total = max(0, int(profile.daily * growth * weekday * math.exp(rng.gauss(0, 0.08))))
        mirrors = int(total * rng.uniform(0.01, 0.04))
        rows["overall"] += [
            {"category": "with_mirrors", "date": day.isoformat(), "downloads": total + mirrors},
            {"category": "without_mirrors", "date": day.isoformat(), "downloads": total},
        ]
        shares = [
            0.10 - 0.05 * x,
            0.20 - 0.05 * x,
            0.25 - 0.03 * x,
            0.25 + 0.02 * x,
            0.15 + 0.07 * x,
            0.02 + 0.05 * x,
            0.03,
        ]
        shares = [max(0.001, s * rng.uniform(0.9, 1.1)) for s in shares]
        for cat, n in zip((*PY_MINORS, "null"), _split(total, shares), strict=True):
            rows["python_minor"].append({"category": cat, "date": day.isoformat(), "downloads": n})
        sys_shares = [s * rng.uniform(0.9, 1.1) for _, s in SYSTEMS]
        for (cat, _), n in zip(SYSTEMS, _split(total, sys_shares), strict=True):
            rows["system"].append({"category": cat, "date": day.isoformat(), "downloads": n})
    types = {
        "overall": "overall_downloads",
        "python_minor": "python_minor_downloads",
        "system": "system_downloads",
    }
    return {
        metric: {
            "data": sorted(r, key=lambda x: (x["category"], x["date"])),
            "package": package,
            "type": types[metric],
        }
        for metric, r in rows.items()
    }


def _pypi_file(package: str, version: str, kind: str, uploaded: datetime, size: int, requires: str) -> dict:
    norm = package.replace("-", "_")
    if kind == "sdist":
        filename, ptype, pyver = f"{norm}-{version}.tar.gz", "sdist", "source"
    elif kind == "pure":
        filename, ptype, pyver = f"{norm}-{version}-py3-none-any.whl", "bdist_wheel", "py3"
    else:
        filename, ptype, pyver = f"{norm}-{version}-{kind}.whl", "bdist_wheel", "cp39"
    digest = hashlib.sha256(filename.encode()).hexdigest()
    return {
        "comment_text": "",
        "digests": {"blake2b_256": _sha(filename, "b2") + digest[:24], "md5": digest[:32], "sha256": digest},
        "downloads": -1,
        "filename": filename,
        "has_sig": False,
        "md5_digest": digest[:32],
        "packagetype": ptype,
        "python_version": pyver,
        "requires_python": requires,
        "size": size,
        "upload_time": uploaded.strftime("%Y-%m-%dT%H:%M:%S"),
        "upload_time_iso_8601": uploaded.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "url": f"https://files.pythonhosted.org/packages/{digest[:2]}/{digest[2:4]}/{digest[4:]}/{filename}",
        "yanked": False,
        "yanked_reason": None,
    }


def _version_files(
    package: str, version: str, profile: PackageProfile, t: datetime, requires: str, rng: random.Random
) -> list[dict[str, Any]]:
    files = [_pypi_file(package, version, "sdist", t, rng.randrange(200_000, 3_000_000), requires)]
    kinds = WHEEL_TAGS if profile.binary else ("pure",)
    for kind in kinds:
        t = t + timedelta(seconds=rng.randrange(20, 900), microseconds=rng.randrange(1_000_000))
        files.append(_pypi_file(package, version, kind, t, rng.randrange(300_000, 40_000_000), requires))
    return files


def pypi_body(package: str, seed: int, end: date, scale: int) -> dict[str, Any]:
    """The ``GET /pypi/{package}/json`` body."""
    profile = package_profile(package)
    rng = random.Random(_hash_int(seed, package, "pypi"))
    n = profile.versions * scale
    end_dt = datetime(end.year, end.month, end.day, 20, 0, tzinfo=UTC)
    start = end_dt - timedelta(days=900)
    times = sorted(_moment(rng, start, end_dt - timedelta(days=2)) for _ in range(n))
    major, minor = profile.version
    patch = 0
    releases: dict[str, list[dict[str, Any]]] = {}
    order: list[tuple[str, bool]] = []  # (version, prerelease)
    for i, t in enumerate(times):
        frac = i / max(1, n - 1)
        requires = ">=3.8" if frac < 0.4 else (">=3.9" if frac < 0.85 else ">=3.9,<3.14")
        roll = rng.random()
        if i and roll < 0.12:
            version, pre = f"{major}.{minor + 1}.0rc{rng.randrange(1, 3)}", True
            if version in releases:
                version = f"{major}.{minor + 1}.0b{i}"
        elif i and roll < 0.45:
            minor, patch = minor + 1, 0
            version, pre = f"{major}.{minor}.{patch}", False
        else:
            if i:
                patch += 1
            version, pre = f"{major}.{minor}.{patch}", False
        files = _version_files(package, version, profile, t, requires, rng)
        if i == 0 and n > 3:
            files = []  # an early version whose files were deleted: PyPI lists it with no files
        elif rng.random() < 0.04:
            reason = "Broken wheel, use the next version"
            for f in files:
                f["yanked"], f["yanked_reason"] = True, reason
        elif rng.random() < 0.03 and len(files) > 1:
            files[-1]["yanked"], files[-1]["yanked_reason"] = True, "Wrong platform tag"
        releases[version] = files
        order.append((version, pre))
    latest = next(
        (
            v
            for v, pre in reversed(order)
            if not pre and releases[v] and not all(f["yanked"] for f in releases[v])
        ),
        order[-1][0],
    )
    latest_files = releases[latest]
    info = {
        "author": None,
        "author_email": "Maintainers <dev@example.org>",
        "bugtrack_url": None,
        "classifiers": [
            "License :: OSI Approved :: Apache Software License",
            "Programming Language :: Python :: 3",
        ],
        "description": f"# {package}\n\n{profile.summary}.",
        "description_content_type": "text/markdown",
        "docs_url": None,
        "download_url": None,
        "downloads": {"last_day": -1, "last_month": -1, "last_week": -1},
        "dynamic": None,
        "home_page": None,
        "keywords": None,
        "license": profile.license,
        "license_expression": profile.license,
        "maintainer": None,
        "maintainer_email": None,
        "name": package,
        "package_url": f"https://pypi.org/project/{package}/",
        "platform": None,
        "project_url": f"https://pypi.org/project/{package}/",
        "project_urls": {"Homepage": profile.repo_url, "Source": profile.repo_url},
        "provides_extra": [],
        "release_url": f"https://pypi.org/project/{package}/{latest}/",
        "requires_dist": ["pyarrow>=14"] if profile.binary else ["pyspark>=3.5"],
        "requires_python": (latest_files[0]["requires_python"] if latest_files else ">=3.9"),
        "summary": profile.summary,
        "version": latest,
        "yanked": False,
        "yanked_reason": None,
    }
    return {
        "info": info,
        "last_serial": 20_000_000 + _hash_int(package, "serial", len(order)) % 9_000_000,
        "releases": releases,
        "urls": latest_files,
        "vulnerabilities": [],
    }


# --- writing -----------------------------------------------------------------------------------------


def _dump(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def _write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    lines = [_dump(r) for r in rows]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return len(lines)


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
) -> dict[str, int]:
    """Write a dataset to ``out`` (created; existing files of the same names are replaced).

    Args:
        scale: multiplies commits, issues/PRs, comments, releases and PyPI versions.
        end_date: the dataset's "today": the last day of GitHub activity and of pypistats rows.
        tracked: the tracked set (default: config/tracked.yml).
        unknown_repos / unknown_packages: added to DIR/tracked.yml without data (the simulator says 404).
        empty_repos: repositories with a repo.json and no commits (the simulator says 409 on commits).

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
    for repo in tracked.repos:
        gen = _RepoGenerator(repo, scale, seed, end_date)
        threads = gen.threads()
        comments = gen.comments(threads)
        issues = gen.issue_objects(threads)
        commits = gen.commits(threads)
        releases = gen.releases()
        folder = out / "github" / repo
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "repo.json").write_text(_dump(gen.repository(commits, issues)) + "\n", encoding="utf-8")
        totals["commits"] += _write_jsonl(folder / "commits.jsonl", commits)
        totals["issues"] += _write_jsonl(folder / "issues.jsonl", issues)
        totals["comments"] += _write_jsonl(folder / "comments.jsonl", comments)
        totals["releases"] += _write_jsonl(folder / "releases.jsonl", releases)
        totals["repos"] += 1
    for repo in empty_repos:
        gen = _RepoGenerator(repo, scale, seed, end_date)
        folder = out / "github" / repo
        folder.mkdir(parents=True, exist_ok=True)
        body = gen.repository([], [])
        body["size"] = 0
        (folder / "repo.json").write_text(_dump(body) + "\n", encoding="utf-8")
    for package in tracked.packages:
        folder = out / "pypistats" / package
        folder.mkdir(parents=True, exist_ok=True)
        for metric, body in pypistats_bodies(package, seed, end_date).items():
            (folder / f"{metric}.json").write_text(_dump(body) + "\n", encoding="utf-8")
            totals["download_rows"] += len(body["data"])
        (out / "pypi").mkdir(parents=True, exist_ok=True)
        body = pypi_body(package, seed, end_date, scale)
        (out / "pypi" / f"{package}.json").write_text(_dump(body) + "\n", encoding="utf-8")
        totals["versions"] += len(body["releases"])
    log.info("dataset in %s (scale %d, end %s): %s", out, scale, end_date, totals)
    return totals


# --- more activity for incremental runs --------------------------------------------------------------


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


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
        repo = f"{folder.parent.name}/{folder.name}"
        commits = _read_jsonl(folder / "commits.jsonl")
        if not commits:
            continue
        issues = _read_jsonl(folder / "issues.jsonl")
        comments = _read_jsonl(folder / "comments.jsonl")
        releases = _read_jsonl(folder / "releases.jsonl")
        gen = _RepoGenerator(repo, 1, seed, new_end)
        gen.rng = random.Random(_hash_int(seed, repo, "append", new_end.isoformat()))
        lo = datetime(old_end.year, old_end.month, old_end.day, tzinfo=UTC) + timedelta(days=1)
        gen.start = lo
        # new issues and PRs
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
        # new comments on existing open issues update them
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
        # new commits
        planned = []
        for _ in range(commits_per_day * days):
            who = gen.person({"maintainer": 0.8, "contributor": 0.2})
            t = _moment(gen.rng, lo, gen.end, who.offset)
            planned.append((t, who, t, "Follow-up fix", False))
        planned.sort(key=lambda x: x[0])
        newest = max(commits, key=lambda c: _epoch_key(c["commit"]["committer"]["date"]))
        new_commits = gen._commit_objects(
            planned, len(commits) + 10_000 * days + _hash_int(new_end) % 10_000, newest["sha"]
        )
        # one release
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
        summary[f"github/{repo}"] = {
            "repos": 1,
            "commits": len(new_commits),
            "issues": len(new_issue_objs) + len(open_issues),
            "issue_comments": len(new_comments),
            "releases": 1,
        }
    for folder in sorted(p for p in data_dir.glob("pypistats/*") if p.is_dir()):
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
        summary[f"pypi/{package}"] = {"pypi_json": changed, "download_days": days}
    return summary
