"""Pull request objects (``/pulls``), reviews and review comments of a generated repository.

Maintainers review most PRs: approvals without a comment, change requests and comments with line
comments and the author's replies; a review bot comments on some PRs first.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from osspulse_sim.generate.people import REVIEW_BOT, Person, _after, _assoc, _z
from osspulse_sim.generate.profiles import API, WEB, _hash_int

if TYPE_CHECKING:
    from osspulse_sim.generate.repo import _RepoGenerator, _Thread

PATHS = ("core/src/main/Table.java", "python/io/arrow.py", "docs/configuration.md", "spark/src/Scan.scala")
REMARKS = (
    "Could this be a constant?",
    "Please add a test for this case.",
    "Nit: naming.",
    "Why not reuse the helper?",
)


def pull_objects(
    gen: _RepoGenerator, threads: list[_Thread], issues: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """``GET /pulls`` objects of the PRs (state, dates and merged_at agree with the issue objects)."""
    by_number = {i["number"]: i for i in issues}
    out = []
    for th in threads:
        if not th.is_pr:
            continue
        issue = by_number[th.number]
        pid = 3_000_000_000 + _hash_int(gen.repo, "pull", th.number) % 900_000_000
        out.append(
            {
                "url": f"{API}/repos/{gen.repo}/pulls/{th.number}",
                "id": pid,
                "node_id": f"PR_{pid:x}",
                "html_url": f"{WEB}/{gen.repo}/pull/{th.number}",
                "diff_url": f"{WEB}/{gen.repo}/pull/{th.number}.diff",
                "patch_url": f"{WEB}/{gen.repo}/pull/{th.number}.patch",
                "number": th.number,
                "state": issue["state"],
                "locked": False,
                "title": th.title,
                "user": issue["user"],
                "body": issue["body"],
                "labels": issue["labels"],
                "created_at": issue["created_at"],
                "updated_at": issue["updated_at"],
                "closed_at": issue["closed_at"],
                "merged_at": issue["pull_request"]["merged_at"],
                "draft": th.draft,
                "author_association": issue["author_association"],
                "head": {"ref": f"pr-{th.number}", "label": f"{th.author.login}:pr-{th.number}"},
                "base": {"ref": gen.profile.default_branch},
            }
        )
    return out


def reviews(gen: _RepoGenerator, threads: list[_Thread]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(reviews, review comments) of the PRs, ids growing with time as on GitHub."""
    rng = gen.rng
    planned: list[tuple[Any, Person, str, _Thread, int]] = []  # time, who, state, thread, line comments
    for th in threads:
        if not th.is_pr or th.draft:
            continue
        horizon = th.closed or gen.end
        if rng.random() < 0.3:
            t = th.created + timedelta(minutes=rng.randrange(3, 30))
            if t < horizon:
                planned.append((t, REVIEW_BOT, "COMMENTED", th, 1))
        if rng.random() < 0.45:
            t = _after(rng, th.created, 12, 1.3)
            if t < horizon:
                who = gen.person({"maintainer": 1.0})
                planned.append(
                    (t, who, rng.choice(("CHANGES_REQUESTED", "COMMENTED")), th, 1 + rng.randrange(3))
                )
        if th.merged:
            t = th.merged - timedelta(minutes=rng.randrange(5, 240))
            if t > th.created:
                planned.append((t, gen.person({"maintainer": 1.0}), "APPROVED", th, 0))
    planned.sort(key=lambda p: (p[0], p[3].number))
    review_id = 1_500_000_000 + _hash_int(gen.repo, "reviews") % 100_000_000
    comment_id = 1_700_000_000 + _hash_int(gen.repo, "review-comments") % 100_000_000
    out_reviews, out_comments = [], []
    for t, who, state, th, n_comments in planned:
        review_id += 1 + rng.randrange(5)
        pr_url = f"{API}/repos/{gen.repo}/pulls/{th.number}"
        body = (
            ""
            if state == "APPROVED"
            else ("Automated review: 1 suggestion." if who is REVIEW_BOT else "A few remarks.")
        )
        out_reviews.append(
            {
                "id": review_id,
                "node_id": f"PRR_{review_id:x}",
                "user": who.user(),
                "body": body,
                "state": state,
                "html_url": f"{WEB}/{gen.repo}/pull/{th.number}#pullrequestreview-{review_id}",
                "pull_request_url": pr_url,
                "author_association": _assoc(who, True),
                "submitted_at": _z(t),
                "commit_id": f"{_hash_int(gen.repo, th.number, 'head'):040x}"[-40:],
            }
        )
        for k in range(n_comments):
            comment_id += 1 + rng.randrange(3)
            ct = t - timedelta(seconds=30 * (n_comments - k))
            out_comments.append(
                _review_comment(gen, comment_id, review_id, who, th, ct, rng.choice(REMARKS), None)
            )
            if who is not REVIEW_BOT and rng.random() < 0.4:  # the author answers
                comment_id += 1
                rt = min(gen.end, _after(rng, t, 6))
                out_comments.append(
                    _review_comment(gen, comment_id, None, th.author, th, rt, "Done.", comment_id - 1)
                )
    out_comments.sort(key=lambda c: (c["created_at"], c["id"]))
    return out_reviews, out_comments


def _review_comment(
    gen: _RepoGenerator,
    cid: int,
    review_id: int | None,
    who: Person,
    th: _Thread,
    t: Any,
    body: str,
    reply_to: int | None,
) -> dict[str, Any]:
    out = {
        "url": f"{API}/repos/{gen.repo}/pulls/comments/{cid}",
        "pull_request_review_id": review_id if review_id is not None else cid + 7,
        "id": cid,
        "node_id": f"PRRC_{cid:x}",
        "diff_hunk": "@@ -10,7 +10,9 @@",
        "path": PATHS[cid % len(PATHS)],
        "user": who.user(),
        "body": body,
        "created_at": _z(t),
        "updated_at": _z(t),
        "html_url": f"{WEB}/{gen.repo}/pull/{th.number}#discussion_r{cid}",
        "pull_request_url": f"{API}/repos/{gen.repo}/pulls/{th.number}",
        "author_association": _assoc(who, who is th.author),
    }
    if reply_to is not None:
        out["in_reply_to_id"] = reply_to
    return out
