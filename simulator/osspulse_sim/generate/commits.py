"""Commits of a generated repository: squash merges, direct commits, merged long-lived branches."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from osspulse_sim.generate.people import WEB_FLOW, Person, _local, _moment, _sha, _z
from osspulse_sim.generate.profiles import API, WEB

log = logging.getLogger(__name__)


if TYPE_CHECKING:
    from osspulse_sim.generate.repo import _Thread


class CommitsMixin:
    """The commit history of a :class:`_RepoGenerator`."""

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
