"""A repository's commit graph as GitHub serves it: git-walk order, reachability, compare.

Commits are list-commits objects with ``parents``. The default branch's head is either given by
``heads.jsonl`` (``{"date", "sha"}`` lines: the head from that moment on; a head that is not a
descendant of the previous one is a force-push) or, without that file, the newest tip (a commit that
no other commit names as a parent) committed by the moment asked.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


def epoch(value: Any) -> float:
    """Seconds since the epoch of an ISO timestamp (``Z`` or an offset), -inf when missing."""
    if not isinstance(value, str) or not value:
        return -math.inf
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def parent_shas(commit: dict[str, Any]) -> list[str]:
    return [p["sha"] if isinstance(p, dict) else str(p) for p in commit.get("parents") or []]


@dataclass
class CommitGraph:
    """Commits by sha, their committer times and the head history of the default branch."""

    commits: dict[str, int]  # sha -> index into the collection
    parents: dict[str, list[str]]
    times: dict[str, float]  # committer date
    heads: list[tuple[float, str]] = field(default_factory=list)  # (from when, sha), by time

    @classmethod
    def build(cls, items: list[dict[str, Any]], heads: Iterable[dict[str, Any]] = ()) -> CommitGraph:
        commits, parents, times = {}, {}, {}
        for i, item in enumerate(items):
            sha = item["sha"]
            commits[sha] = i
            parents[sha] = parent_shas(item)
            times[sha] = epoch(((item.get("commit") or {}).get("committer") or {}).get("date"))
        if len(commits) > 1 and not any(parents.values()):
            # a dataset without parents: one linear history in committer-date order
            chain = sorted(commits, key=lambda s: (times[s], commits[s]))
            for child, parent in zip(chain[1:], chain, strict=False):
                parents[child] = [parent]
        ordered = sorted((epoch(h["date"]), str(h["sha"])) for h in heads)
        return cls(commits, parents, times, ordered)

    def head(self, as_of: float | None = None) -> str | None:
        """The default branch's head at ``as_of`` (None: the latest)."""
        if self.heads:
            chosen = None
            for t, sha in self.heads:
                if as_of is None or t <= as_of:
                    chosen = sha
            return chosen if chosen in self.commits else None
        named = {p for ps in self.parents.values() for p in ps}
        tips = [s for s in self.commits if s not in named and (as_of is None or self.times[s] <= as_of)]
        if not tips and as_of is not None:  # the newest commit by then, on a linear history
            tips = [s for s in self.commits if self.times[s] <= as_of]
        return max(tips, key=lambda s: (self.times[s], self.commits[s])) if tips else None

    def walk(self, start: str | None, *, stop: set[str] | None = None) -> list[str]:
        """``git rev-list start ^stop``: newest committer date first, never a parent before a child."""
        if start is None or start not in self.commits:
            return []
        hidden = self.reachable(stop) if stop else set()
        seen = {start}
        queue = [(-self.times[start], -self.commits[start], start)]
        out = []
        while queue:
            _, _, sha = heapq.heappop(queue)
            if sha in hidden:
                continue
            out.append(sha)
            for p in self.parents.get(sha, ()):
                if p in self.commits and p not in seen:
                    seen.add(p)
                    heapq.heappush(queue, (-self.times[p], -self.commits[p], p))
        return out

    def reachable(self, starts: Iterable[str] | None) -> set[str]:
        out: set[str] = set()
        stack = [s for s in (starts or ()) if s in self.commits]
        while stack:
            sha = stack.pop()
            if sha in out:
                continue
            out.add(sha)
            stack.extend(p for p in self.parents.get(sha, ()) if p in self.commits and p not in out)
        return out

    def resolve(self, ref: str, as_of: float | None, default_branch: str) -> str | None:
        """A sha (or unique prefix of 7+), the default branch's name or HEAD, as GitHub resolves refs."""
        ref = ref.split(":", 1)[-1]  # owner:branch
        if ref in (default_branch, "HEAD"):
            return self.head(as_of)
        if ref in self.commits:
            return ref
        if len(ref) >= 7:
            found = [s for s in self.commits if s.startswith(ref)]
            if len(found) == 1:
                return found[0]
        return None

    def compare(self, base: str, head: str) -> dict[str, Any]:
        """Status, counts and the commits of ``git log base..head`` in chronological order."""
        ahead = self.walk(head, stop={base})
        behind = self.walk(base, stop={head})
        common = self.reachable([base]) & self.reachable([head])
        merge_base = next((s for s in self.walk(head) if s in common), None)
        if not ahead and not behind:
            status = "identical"
        elif not behind:
            status = "ahead"
        elif not ahead:
            status = "behind"
        else:
            status = "diverged"
        return {
            "status": status,
            "ahead_by": len(ahead),
            "behind_by": len(behind),
            "total_commits": len(ahead),
            "merge_base": merge_base,
            "commits": list(reversed(ahead)),  # chronological: oldest first
        }
