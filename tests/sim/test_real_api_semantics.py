"""The simulator's model of what the real APIs do: the commit graph and compare, renames, limits,
names, tokens, disabled issues, the world as of a day (no stack needed)."""

from __future__ import annotations

import json
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx
import pytest

from osspulse_sim.server import SimSettings, Simulator, running_simulator

#   a - b - c - m - f        main (m merges the branch x1 - x2, started at b, committed before c)
#        \ x1 - x2 /
#   at 2026-03-10 the head is force-pushed to f' (parent m): f is no longer reachable
COMMITS = {
    "a": ([], "2026-03-01T10:00:00Z"),
    "b": (["a"], "2026-03-02T10:00:00Z"),
    "x1": (["b"], "2026-03-03T10:00:00Z"),
    "x2": (["x1"], "2026-03-04T10:00:00Z"),
    "c": (["b"], "2026-03-05T10:00:00Z"),
    "m": (["c", "x2"], "2026-03-06T10:00:00Z"),
    "f": (["m"], "2026-03-07T10:00:00Z"),
    "g": (["m"], "2026-03-10T10:00:00Z"),
}
HEADS = [
    ("2026-03-01", "a"),
    ("2026-03-02", "b"),
    ("2026-03-05", "c"),
    ("2026-03-06", "m"),
    ("2026-03-07", "f"),
    ("2026-03-10", "g"),
]


def sha(name: str) -> str:
    return name.encode().hex().ljust(40, "0")


@pytest.fixture
def data(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    repo = root / "github" / "acme" / "Widgets"
    repo.mkdir(parents=True)
    (repo / "repo.json").write_text(
        json.dumps({"id": 77, "full_name": "acme/Widgets", "default_branch": "main", "has_issues": False})
    )
    lines = [
        {
            "sha": sha(n),
            "parents": [{"sha": sha(p)} for p in ps],
            "commit": {"committer": {"date": t}, "author": {"date": t}},
        }
        for n, (ps, t) in COMMITS.items()
    ]
    (repo / "commits.jsonl").write_text("".join(json.dumps(c) + "\n" for c in lines))
    (repo / "heads.jsonl").write_text(
        "".join(json.dumps({"date": f"{d}T12:00:00Z", "sha": sha(s)}) + "\n" for d, s in HEADS)
    )
    (root / "github" / "_renamed.json").write_text(json.dumps({"acme/gadgets": "acme/Widgets"}))
    stats = root / "pypistats" / "pyyaml"
    stats.mkdir(parents=True)
    (stats / "overall.json").write_text(
        json.dumps({"data": [{"category": "with_mirrors", "date": "2026-03-01", "downloads": 3}]})
    )
    (root / "pypi").mkdir()
    (root / "pypi" / "pyyaml.json").write_text(
        json.dumps({"info": {"name": "PyYAML", "version": "6.0"}, "releases": {"6.0": []}})
    )
    return root


def get(sim: Simulator, target: str, **headers: str):
    resp = sim.respond("GET", target, headers, host="sim.test")
    body = (
        json.loads(resp.body)
        if resp.body and resp.status not in (304, 429) and resp.body[:1] in b"[{"
        else None
    )
    return resp, body


def names(body: list[dict]) -> list[str]:
    inverse = {sha(n): n for n in COMMITS}
    return [inverse[c["sha"]] for c in body]


def test_commits_walk_from_the_head_of_the_day(data):
    sim = Simulator(data, SimSettings(as_of="2026-03-06"))
    _, body = get(sim, "/repos/acme/widgets/commits?per_page=100")  # names are case-insensitive
    assert names(body) == ["m", "c", "x2", "x1", "b", "a"]  # git-walk order: never a parent before its child
    sim.configure(as_of="2026-03-10")
    _, body = get(sim, "/repos/acme/widgets/commits?per_page=100")
    assert "f" not in names(body)  # force-pushed away
    _, body = get(sim, f"/repos/acme/widgets/commits?per_page=100&sha={sha('f')}")
    assert names(body)[0] == "f"


def test_compare_lists_what_became_reachable_in_chronological_order(data):
    sim = Simulator(data)
    _, body = get(sim, f"/repos/acme/widgets/compare/{sha('c')}...{sha('m')}")
    assert body["status"] == "ahead" and names(body["commits"]) == ["x1", "x2", "m"]  # x1, x2 older than c
    _, body = get(sim, f"/repos/acme/widgets/compare/{sha('f')}...{sha('g')}?per_page=1&page=1")
    assert (body["status"], body["ahead_by"], body["behind_by"]) == ("diverged", 1, 1)
    assert names(body["commits"]) == ["g"] and names([body["merge_base_commit"]]) == ["m"]
    resp, _ = get(sim, f"/repos/acme/widgets/compare/{'0' * 40}...main")
    assert resp.status == 404


def test_a_renamed_repository_answers_301_to_its_id(data):
    sim = Simulator(data)
    resp, _ = get(sim, "/repos/acme/gadgets/commits?per_page=5")
    assert (
        resp.status == 301
        and resp.headers["Location"] == "http://sim.test/repositories/77/commits?per_page=5"
    )
    resp, body = get(sim, "/repositories/77/commits?per_page=5")
    assert resp.status == 200 and len(body) == 5


def test_disabled_issues_answer_410(data):
    resp, body = get(Simulator(data), "/repos/acme/widgets/issues")
    assert resp.status == 410 and body["message"] == "Issues are disabled for this repo"


def test_secondary_limits_and_bad_tokens(data):
    sim = Simulator(data, SimSettings(secondary_rate=1.0, tokens="good"))
    resp, body = get(sim, "/repos/acme/widgets", Authorization="Bearer bad")
    assert resp.status == 401 and body["message"] == "Bad credentials"
    resp, body = get(sim, "/repos/acme/widgets", Authorization="Bearer good")
    assert (
        resp.status == 403 and "secondary rate limit" in body["message"] and "Retry-After" not in resp.headers
    )


def test_pypistats_names_limits_and_no_etag(data):
    sim = Simulator(data, SimSettings(pypistats_per_s=2))
    resp, _ = get(sim, "/api/packages/PyYAML/overall")
    assert resp.status == 404  # pypistats does not lowercase
    resp, body = get(sim, "/api/packages/PyYAML/python_minor")
    assert resp.status == 200 and body["data"] == []  # unknown names: empty data on the other metrics
    resp, _ = get(sim, "/api/packages/pyyaml/overall")
    assert resp.status == 429 and "Retry-After" not in resp.headers  # the third request within a second
    assert sim.stats()["pypistats_limited"] == 1
    sim.configure(pypistats_per_s=0)
    resp, _ = get(sim, "/api/packages/pyyaml/overall")
    assert resp.status == 200 and "ETag" not in resp.headers


def test_pypi_redirects_other_spellings_and_can_drop_releases(data):
    sim = Simulator(data)
    resp, _ = get(sim, "/pypi/pyyaml/json")
    assert resp.status == 301 and resp.headers["Location"].endswith("/pypi/PyYAML/json")
    sim.configure(pypi_releases_key=False)
    resp, body = get(sim, "/pypi/PyYAML/json")
    assert resp.status == 200 and "releases" not in body


def test_the_date_header_is_the_world_as_of(data):
    with running_simulator(data, as_of="2026-03-06") as sim:
        stamp = httpx.get(f"{sim.url}/repos/acme/widgets").headers["date"]
    assert parsedate_to_datetime(stamp).date().isoformat() == "2026-03-06"
