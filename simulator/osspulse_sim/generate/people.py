"""People (maintainers, contributors, users, bots) and time helpers of the generator."""

from __future__ import annotations

import hashlib
import logging
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from osspulse_sim.generate.profiles import API, WEB, _hash_int

log = logging.getLogger(__name__)

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
    "renovate[bot]": 29139614,
    "copilot-pull-request-reviewer[bot]": 175728472,
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
RENOVATE, REVIEW_BOT = _bot("renovate[bot]"), _bot("copilot-pull-request-reviewer[bot]")
#: commits made by workflows with the default identity: no GitHub account behind the e-mail
ACTION_COMMITTER = Person(
    "github-actions", 0, "GitHub Action", "action@github.com", "+00:00", "bot", linked=False
)
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


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _epoch_key(text: str) -> float:
    return _parse(text).timestamp()
