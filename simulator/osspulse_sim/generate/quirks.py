"""What real histories hold and metrics must survive, applied to a generated repository.

* PRs by ``renovate[bot]`` beside ``dependabot[bot]``;
* commits by workflows as ``GitHub Action <action@github.com>`` (no account: ``author`` null);
* a contributor whose commits first appear by e-mail only (``author`` null), later with the login;
* a contributor who renamed their login half-way: later records carry the new login, same user id;
* a commit whose author clock was wrong: an author date three years in the future;
* a release deleted and re-created with the same tag (``_sim_deleted_at``: the simulator hides the
  record from that moment on; the re-created release has a new id).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from osspulse_sim.generate.people import DEPENDABOT, RENOVATE, _parse, _z

if TYPE_CHECKING:
    from osspulse_sim.generate.repo import _RepoGenerator, _Thread


def renovate(threads: list[_Thread]) -> None:
    """Every fourth dependabot PR is renovate's instead."""
    bumps = [th for th in threads if th.author is DEPENDABOT]
    for k, th in enumerate(bumps):
        if k % 4 == 1:
            th.author = RENOVATE
            th.title = th.title.replace("Build: Bump", "Update dependency").replace(" from ", " to v", 1)
            th.title = th.title.split(" to v")[0] + " to v" + th.title.rsplit(" to ", 1)[-1]


def _direct(commits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c for c in commits if c["committer"] is not None and c["committer"].get("login") != "web-flow"]


def commit_quirks(gen: _RepoGenerator, commits: list[dict[str, Any]]) -> None:
    direct = [c for c in _direct(commits) if c["author"] is not None and len(c["parents"]) <= 1]
    if len(direct) < 12:
        return
    for c in direct[2:4]:  # workflow commits
        git = c["commit"]
        git["author"] = {**git["author"], "name": "GitHub Action", "email": "action@github.com"}
        git["committer"] = {**git["committer"], "name": "GitHub Action", "email": "action@github.com"}
        c["author"] = c["committer"] = None
    future = direct[-6]["commit"]["author"]  # a recent commit whose author's clock was three years ahead
    moment = _parse(future["date"]) + timedelta(days=3 * 365)
    future["date"] = moment.isoformat().replace("+00:00", "Z")
    # e-mail first, login later: the earliest commits of one author are not linked to the account yet
    login = direct[7]["author"]["login"]
    mine = [c for c in direct if c["author"] and c["author"]["login"] == login]
    for c in mine[: max(1, len(mine) // 2)]:
        c["author"] = None


def rename_login(gen: _RepoGenerator, records: list[dict[str, Any]], key: str = "user") -> str | None:
    """Records of one contributor created after the middle of the window carry their new login."""
    middle = _z(gen.start + (gen.end - gen.start) / 2)
    logins = [r[key]["login"] for r in records if r.get(key) and r[key].get("type") == "User"]
    if not logins:
        return None
    counts = {name: logins.count(name) for name in set(logins)}
    old = sorted(counts, key=lambda n: (-counts[n], n))[min(3, len(counts) - 1)]
    new = f"{old}-renamed"
    for r in records:
        user = r.get(key)
        if user and user.get("login") == old and str(r.get("created_at", "")) >= middle:
            r[key] = {
                **user,
                "login": new,
                "url": user["url"].replace(old, new),
                "html_url": user["html_url"].replace(old, new),
            }
    return old


def recreate_release(gen: _RepoGenerator, releases: list[dict[str, Any]]) -> None:
    """One release deleted two hours after it was made, and made again with the same tag."""
    if len(releases) < 3:
        return
    victim = releases[len(releases) // 2]
    deleted = _parse(victim["created_at"]) + timedelta(hours=2)
    victim["_sim_deleted_at"] = _z(deleted)
    again = dict(victim)
    again.pop("_sim_deleted_at")
    rid = max(r["id"] for r in releases) + 17
    again.update(
        id=rid,
        node_id=f"RE_{rid:x}",
        url=f"{victim['url'].rsplit('/', 1)[0]}/{rid}",
        created_at=_z(deleted + timedelta(minutes=5)),
        published_at=_z(deleted + timedelta(minutes=6)),
    )
    releases.append(again)
    releases.sort(key=lambda r: (r["created_at"], r["id"]))
