"""Commits of a generated repository: a linear history of squash merges and direct commits, or (the
``merge`` style) PR branches merged with merge commits, long-lived branches among them, and a
force-push that rewrites the last commits of the default branch (``heads.jsonl`` records the head)."""

from __future__ import annotations

import bisect
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from osspulse_sim.generate.people import WEB_FLOW, Person, _local, _moment, _sha, _z
from osspulse_sim.generate.profiles import API, WEB

if TYPE_CHECKING:
    from osspulse_sim.generate.repo import _Thread

log = logging.getLogger(__name__)

DIRECT_MESSAGES = (
    "Fix typo in docs",
    "Update CI workflow",
    "Clean up imports",
    "Bump version",
    "Address review comments",
    "Revert flaky test change",
    "Add missing license header",
)
#: planned commit: committed, author, authored, message, squash (committed by GitHub's web-flow)
Planned = tuple[datetime, Person, datetime, str, bool]


def commit_object(
    repo: str,
    sha: str,
    who: Person,
    authored: datetime,
    committed: datetime,
    message: str,
    parents: list[str],
    *,
    web_flow: bool,
) -> dict[str, Any]:
    """A list-commits object (author and committer dates in the author's offset unless web-flow)."""
    author_git = {"name": who.name, "email": who.email, "date": _local(authored, who.offset)}
    if web_flow:
        committer_git = {"name": "GitHub", "email": "noreply@github.com", "date": _z(committed)}
        committer_user: dict[str, Any] | None = dict(WEB_FLOW)
    else:
        committer_git = {**author_git, "date": _local(committed, who.offset)}
        committer_user = who.user() if who.linked else None
    tree = _sha(sha, "tree")
    return {
        "sha": sha,
        "node_id": f"C_{sha[:20]}",
        "commit": {
            "author": author_git,
            "committer": committer_git,
            "message": message,
            "tree": {"sha": tree, "url": f"{API}/repos/{repo}/git/trees/{tree}"},
            "url": f"{API}/repos/{repo}/git/commits/{sha}",
            "comment_count": 0,
            "verification": {
                "verified": web_flow,
                "reason": "valid" if web_flow else "unsigned",
                "signature": None,
                "payload": None,
                "verified_at": None,
            },
        },
        "url": f"{API}/repos/{repo}/commits/{sha}",
        "html_url": f"{WEB}/{repo}/commit/{sha}",
        "comments_url": f"{API}/repos/{repo}/commits/{sha}/comments",
        "author": who.user() if who.linked else None,
        "committer": committer_user,
        "parents": [
            {"sha": p, "url": f"{API}/repos/{repo}/commits/{p}", "html_url": f"{WEB}/{repo}/commit/{p}"}
            for p in parents
        ],
    }


class CommitsMixin:
    """The commit history of a :class:`_RepoGenerator` (which provides repo, rng, profile, start, end)."""

    def _direct(self, n: int) -> list[Planned]:
        out = []
        for _ in range(n):
            who = self.person({"maintainer": 0.75, "contributor": 0.25})
            t = _moment(self.rng, self.start, self.end, who.offset)
            out.append((t, who, t, self.rng.choice(DIRECT_MESSAGES), False))
        return out

    def commits(
        self, threads: list[_Thread], *, first_index: int = 0, parent: str | None = None
    ) -> list[dict]:
        """A linear history: every merged PR squashed (committer GitHub), plus direct commits."""
        rng = self.rng
        planned: list[Planned] = []
        for th in threads:
            if th.merged:
                authored = th.merged - timedelta(seconds=int(3600 * rng.uniform(0.3, 60)))
                planned.append((th.merged, th.author, authored, f"{th.title} (#{th.number})", True))
        target = self.profile.commits * self.scale
        planned += self._direct(max(target // 6, target - len(planned)))
        planned.sort(key=lambda x: x[0])
        return self._commit_objects(planned, first_index, parent)

    def _commit_objects(
        self, planned: list[Planned], first_index: int, parent: str | None
    ) -> list[dict[str, Any]]:
        out = []
        for i, (committed, who, authored, msg, squash) in enumerate(planned, first_index):
            sha = _sha(self.repo, "commit", i)
            out.append(
                commit_object(
                    self.repo, sha, who, authored, committed, msg, [parent] if parent else [], web_flow=squash
                )
            )
            parent = sha
        return out

    def merge_history(self, threads: list[_Thread]) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
        """PR branches merged with merge commits; (commits, heads).

        Each merged PR is a branch of 1-4 commits started from the default branch as it was when the PR
        was opened, committed while it was open (so older than the merge), then merged by a merge
        commit. Every tenth merged PR is long-lived (opened at least 10 days before, with commits
        spread over the whole time). Ten days before the end, the last two commits of the default
        branch are rewritten (a force-push): they stay in commits.jsonl but are reachable no more.
        """
        rng = self.rng
        events: list[tuple[datetime, int, str, Any]] = []
        merged = [th for th in threads if th.merged]
        for k, th in enumerate(merged):
            if k % 10 == 3:  # long-lived: opened well before the merge
                th.created = min(th.created, th.merged - timedelta(days=10 + rng.randrange(20)))
            events.append((th.merged, 1, "merge", th))
        target = self.profile.commits * self.scale
        for planned in self._direct(max(target // 4, target - 3 * len(merged))):
            events.append((planned[0], 0, "direct", planned))
        events.sort(key=lambda e: (e[0], e[1]))
        commits: list[dict[str, Any]] = []
        head_times: list[datetime] = []
        head_shas: list[str] = []
        counter = iter(range(10**9))

        def add(
            who: Person, authored: datetime, committed: datetime, msg: str, parents: list[str], web: bool
        ) -> str:
            sha = _sha(self.repo, "merge-history", next(counter))
            commits.append(
                commit_object(self.repo, sha, who, authored, committed, msg, parents, web_flow=web)
            )
            return sha

        def head_at(t: datetime) -> str | None:
            i = bisect.bisect_right(head_times, t) - 1
            return head_shas[i] if i >= 0 else None

        def move(t: datetime, sha: str) -> None:
            head_times.append(t)
            head_shas.append(sha)

        for t, _, kind, item in events:
            head = head_shas[-1] if head_shas else None
            if kind == "direct":
                _, who, authored, msg, _ = item
                move(t, add(who, authored, t, msg, [head] if head else [], False))
                continue
            th = item
            base = head_at(th.created) or head
            n = 1 + rng.randrange(4)
            span = max(60.0, (th.merged - th.created).total_seconds() - 120)
            times = sorted(th.created + timedelta(seconds=int(span * rng.random()) + 60) for _ in range(n))
            tip = base
            for j, ct in enumerate(times):
                tip = add(th.author, ct, ct, f"{th.title} (part {j + 1})", [tip] if tip else [], False)
            branch = f"{th.author.login}/pr-{th.number}"
            msg = f"Merge pull request #{th.number} from {branch}\n\n{th.title}"
            move(t, add(self.merger(), t, t, msg, [p for p in (head, tip) if p], True))
        heads = [{"date": _z(t), "sha": s} for t, s in zip(head_times, head_shas, strict=True)]
        return commits, self._force_push(commits, heads, add)

    def merger(self) -> Person:
        return self.person({"maintainer": 1.0})

    def _force_push(
        self, commits: list[dict[str, Any]], heads: list[dict[str, str]], add: Any
    ) -> list[dict[str, str]]:
        """Rewrite the last two first-parent commits before end - 10 days (amended, pushed with force)."""
        cut = _z(self.end - timedelta(days=10))
        before = [h for h in heads if h["date"] <= cut]
        if len(before) < 4:
            return heads
        keep = before[-3]["sha"]
        at = self.end - timedelta(days=10) + timedelta(minutes=5)
        who = self.person({"maintainer": 1.0})
        first = add(who, at, at, "Fix release notes (amended)", [keep], False)
        second = add(who, at, at + timedelta(minutes=2), "Bump version (amended)", [first], False)
        after = [h for h in heads if h["date"] > _z(at + timedelta(minutes=2))]
        # what came after the force-push was built on the rewritten head: re-point the next commit
        by_sha = {c["sha"]: c for c in commits}
        if after:
            nxt = by_sha[after[0]["sha"]]
            nxt["parents"][0] = {
                "sha": second,
                "url": f"{API}/repos/{self.repo}/commits/{second}",
                "html_url": f"{WEB}/{self.repo}/commit/{second}",
            }
        return [
            *before,
            {"date": _z(at), "sha": first},
            {"date": _z(at + timedelta(minutes=2)), "sha": second},
            *after,
        ]
