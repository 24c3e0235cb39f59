"""The simulator's API semantics, on a small handmade dataset (no stack needed)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from osspulse.settings import Settings
from osspulse_sim.server import SimSettings, Simulator, etag_of, running_simulator


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def commit(i: int, date: str) -> dict:
    return {"sha": f"{i:040x}", "commit": {"committer": {"date": date}, "author": {"date": date}}}


@pytest.fixture
def data(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    repo = root / "github" / "acme" / "widgets"
    repo.mkdir(parents=True)
    (repo / "repo.json").write_text(json.dumps({"id": 1, "full_name": "acme/widgets"}))
    # 250 commits, one a day; the file order is not the API order
    commits = [commit(i, f"2026-{1 + i // 28:02d}-{1 + i % 28:02d}T12:00:00Z") for i in range(250)]
    commits[10]["commit"]["committer"]["date"] = "2026-01-11T23:30:00-05:00"  # = 2026-01-12T04:30Z
    _write_jsonl(repo / "commits.jsonl", commits)
    issues = [
        {
            "number": n,
            "state": "open" if n % 3 else "closed",
            "created_at": f"2026-01-{n:02d}T00:00:00Z",
            "updated_at": f"2026-02-{29 - n:02d}T00:00:00Z",
            "comments": n % 4,
        }
        | ({"pull_request": {"merged_at": None}} if n % 2 else {})
        for n in range(1, 29)
    ]
    _write_jsonl(repo / "issues.jsonl", issues)
    comments = [
        {
            "id": 100 + i,
            "created_at": f"2026-03-{1 + i:02d}T00:00:00Z",
            "updated_at": f"2026-03-{28 - i:02d}T00:00:00Z",
        }
        for i in range(20)
    ]
    _write_jsonl(repo / "comments.jsonl", comments)
    (root / "github" / "acme" / "empty").mkdir(parents=True)
    stats = root / "pypistats" / "widgets"
    stats.mkdir(parents=True)
    days = [f"2026-{m:02d}-{d:02d}" for m in range(1, 9) for d in range(1, 29)]  # 224 days
    overall = [
        {"category": c, "date": d, "downloads": 10} for d in days for c in ("with_mirrors", "without_mirrors")
    ]
    (stats / "overall.json").write_text(
        json.dumps({"data": overall, "package": "widgets", "type": "overall_downloads"})
    )
    minor = [{"category": c, "date": d, "downloads": 5} for d in days for c in ("3.11", "3.12", "null")]
    (stats / "python_minor.json").write_text(json.dumps({"data": minor, "package": "widgets", "type": "x"}))
    (root / "pypi").mkdir()
    (root / "pypi" / "widgets.json").write_text(json.dumps({"info": {"version": "1.0"}, "releases": {}}))
    return root


def get(sim: Simulator, target: str, **headers: str):
    resp = sim.respond("GET", target, headers, host="sim.test")
    body = json.loads(resp.body) if resp.body and resp.status != 304 else None
    return resp, body


def test_pagination_follows_link(data):
    sim = Simulator(data)
    resp, body = get(sim, "/repos/acme/widgets/commits?per_page=100")
    assert resp.status == 200 and len(body) == 100
    links = dict((rel, url) for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', resp.headers["Link"]))
    assert links["next"] == "http://sim.test/repos/acme/widgets/commits?per_page=100&page=2"
    assert links["last"].endswith("page=3")
    resp, body = get(sim, "/repos/acme/widgets/commits?per_page=100&page=3")
    assert len(body) == 50 and "next" not in resp.headers["Link"] and 'rel="prev"' in resp.headers["Link"]
    _, default = get(sim, "/repos/acme/widgets/commits")
    assert len(default) == 30  # GitHub's default page size
    _, capped = get(sim, "/repos/acme/widgets/commits?per_page=500")
    assert len(capped) == 100


def test_commits_newest_first_with_since_and_until_on_the_committer_date(data):
    sim = Simulator(data)
    _, body = get(sim, "/repos/acme/widgets/commits?per_page=100")
    dates = [c["commit"]["committer"]["date"] for c in body]
    assert dates[0] > dates[1]
    _, since = get(
        sim, "/repos/acme/widgets/commits?per_page=100&since=2026-01-12T04:30:00Z&until=2026-01-13T12:00:00Z"
    )
    # the -05:00 commit is 04:30Z: inclusive bounds keep it
    assert [c["sha"][-2:] for c in since] == ["0c", "0b", "0a"]


def test_an_empty_or_unknown_repository(data):
    sim = Simulator(data)
    resp, body = get(sim, "/repos/acme/empty/commits")
    assert resp.status == 409 and body["message"] == "Git Repository is empty."
    assert get(sim, "/repos/acme/empty/issues")[1] == []
    assert get(sim, "/repos/acme/empty")[1]["full_name"] == "acme/empty"  # synthesized
    assert get(sim, "/repos/acme/nope")[0].status == 404
    assert get(sim, "/repos/acme/nope/issues")[0].status == 404
    assert get(sim, "/pypi/nope/json")[0].status == 404
    assert get(sim, "/api/packages/nope/overall")[0].status == 404
    assert get(sim, "/something/else")[0].status == 404


def test_issues_filters_and_order(data):
    sim = Simulator(data)
    _, default = get(sim, "/repos/acme/widgets/issues?per_page=100")
    assert all(i["state"] == "open" for i in default)  # state=open by default
    assert [i["number"] for i in default][:3] == [28, 26, 25]  # sort=created, direction=desc
    _, upd = get(
        sim, "/repos/acme/widgets/issues?state=all&sort=updated&direction=asc&since=2026-02-20T00:00:00Z"
    )
    assert [i["updated_at"][:10] for i in upd] == [f"2026-02-{d}" for d in range(20, 29)]
    _, closed = get(sim, "/repos/acme/widgets/issues?state=closed&per_page=100")
    assert {i["number"] % 3 for i in closed} == {0}
    assert {
        "pull_request" in i for i in get(sim, "/repos/acme/widgets/issues?state=all&per_page=100")[1]
    } == {
        True,
        False,
    }
    _, by_comments = get(sim, "/repos/acme/widgets/issues?state=all&sort=comments&per_page=100")
    assert [i["comments"] for i in by_comments][:2] == [3, 3]
    assert get(sim, "/repos/acme/widgets/issues?state=weird")[0].status == 422


def test_repo_wide_comments_since_and_sort(data):
    sim = Simulator(data)
    _, created = get(sim, "/repos/acme/widgets/issues/comments")
    assert [c["id"] for c in created][:2] == [100, 101]  # sort=created, direction=asc by default
    _, upd = get(
        sim, "/repos/acme/widgets/issues/comments?sort=updated&direction=asc&since=2026-03-27T00:00:00Z"
    )
    assert [c["id"] for c in upd] == [101, 100]


def test_etags_are_content_hashes_and_304s_cost_nothing(data):
    sim = Simulator(data, SimSettings(rate_limit=10))
    first, _ = get(sim, "/repos/acme/widgets/issues?state=all")
    etag = first.headers["ETag"]
    assert etag == etag_of(first.body)
    again, _ = get(sim, "/repos/acme/widgets/issues?state=all", **{"If-None-Match": etag})
    assert again.status == 304 and again.body == b"" and again.headers["ETag"] == etag
    assert again.headers["x-ratelimit-remaining"] == "9"  # the 304 was free
    other, _ = get(sim, "/repos/acme/widgets/issues?state=all&page=2", **{"If-None-Match": etag})
    assert other.status == 200
    stats = sim.stats()
    assert (stats["counted"], stats["not_modified"]) == (2, 1)
    assert stats["by_collection"]["github_issues"] == {"requests": 3, "counted": 2, "not_modified": 1}


def test_the_rate_limit_budget_runs_out_with_a_403(data):
    now = [1_000_000.0]
    sim = Simulator(data, SimSettings(rate_limit=3, rate_window_s=60), clock=lambda: now[0])
    answers = [get(sim, "/repos/acme/widgets")[0] for _ in range(4)]
    assert [a.status for a in answers] == [200, 200, 200, 403]
    assert [a.headers["x-ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert answers[3].headers["x-ratelimit-reset"] == str(1_000_060)
    assert "rate limit exceeded" in json.loads(answers[3].body)["message"]
    assert sim.stats()["rate_limited"] == 1
    now[0] += 61  # a new window
    assert get(sim, "/repos/acme/widgets")[0].status == 200
    assert "x-ratelimit-remaining" not in get(sim, "/pypi/widgets/json")[0].headers  # GitHub only


def test_pypistats_serves_180_days_before_the_end_date(data):
    sim = Simulator(data)
    _, body = get(sim, "/api/packages/widgets/overall")
    dates = sorted({r["date"] for r in body["data"]})
    assert dates[0] == "2026-03-02" and dates[-1] == "2026-08-28"  # 180 calendar days (28-day months)
    _, mirrors = get(sim, "/api/packages/widgets/overall?mirrors=false")
    assert {r["category"] for r in mirrors["data"]} == {"without_mirrors"}
    _, major = get(sim, "/api/packages/widgets/python_major")
    assert {r["category"] for r in major["data"]} == {"3", "null"}
    assert {r["downloads"] for r in major["data"] if r["category"] == "3"} == {10}
    assert get(sim, "/api/packages/widgets/system")[1]["data"] == []  # a missing file: an empty collection
    sim.configure(end_date="2026-03-01", pypistats_days=10)
    _, body = get(sim, "/api/packages/widgets/overall")
    assert sorted({r["date"] for r in body["data"]})[-1] == "2026-03-01" and len(body["data"]) == 2 * 10


@pytest.mark.parametrize(
    ("faults", "check"),
    [
        ({"error_rate": 1.0, "error_status": 503}, lambda r: r.status == 503 and "ETag" not in r.headers),
        (
            {"rate429_rate": 1.0, "retry_after_s": 2},
            lambda r: r.status == 429 and r.headers["Retry-After"] == "2",
        ),
        ({"slow_rate": 1.0, "slow_s": 0.5}, lambda r: r.status == 200 and r.delay_s == 0.5),
        ({"truncate_rate": 1.0}, lambda r: r.status == 200 and r.truncate and "ETag" not in r.headers),
    ],
)
def test_faults(data, faults, check):
    sim = Simulator(data, SimSettings(**faults))
    assert check(sim.respond("GET", "/repos/acme/widgets/issues", {}))


def test_malformed_bodies_and_fault_paths(data):
    sim = Simulator(data, SimSettings(malformed_rate=1.0, fault_paths=r"/issues\?.*page=2"))
    ok = sim.respond("GET", "/repos/acme/widgets/issues?page=1", {})
    bad = sim.respond("GET", "/repos/acme/widgets/issues?page=2", {})
    json.loads(ok.body)
    with pytest.raises(ValueError):
        json.loads(bad.body)
    assert sim.stats()["faults"]["malformed"] == 1


def test_files_are_reread_when_they_change(data):
    sim = Simulator(data)
    resp, body = get(sim, "/repos/acme/widgets/issues/comments?per_page=100")
    path = data / "github" / "acme" / "widgets" / "comments.jsonl"
    with path.open("a") as fh:
        fh.write(
            json.dumps(
                {"id": 999, "created_at": "2026-04-01T00:00:00Z", "updated_at": "2026-04-01T00:00:00Z"}
            )
            + "\n"
        )
    again, body2 = get(
        sim, "/repos/acme/widgets/issues/comments?per_page=100", **{"If-None-Match": resp.headers["ETag"]}
    )
    assert again.status == 200 and len(body2) == len(body) + 1


def test_in_process_server_with_control_endpoints(data):
    with running_simulator(data, rate_limit=100) as sim, httpx.Client(base_url=sim.url) as http:
        assert http.get("/repos/acme/widgets").json()["full_name"] == "acme/widgets"
        settings = http.post("/_sim/settings", json={"error_rate": 1.0, "error_status": 500}).json()
        assert settings["error_rate"] == 1.0 and settings["rate_limit"] == 100
        assert http.get("/repos/acme/widgets").status_code == 500
        assert http.post("/_sim/settings", json={"nonsense": 1}).status_code == 400
        stats = http.get("/_sim/stats").json()
        assert (
            stats["requests"] == 2
            and stats["faults"]["error"] == 1
            and stats["github_quota"]["x-ratelimit-limit"] == "100"
        )
        log = http.get("/_sim/log", params={"since": 1}).json()
        assert [e["status"] for e in log] == [500]
        http.post("/_sim/reset")
        assert http.get("/_sim/stats").json()["requests"] == 0
        configured = sim.settings_for(Settings(_env_file=None))
        assert configured.github_api_url == configured.pypistats_url == configured.pypi_url == sim.url


def test_truncated_answers_break_the_connection(data):
    with running_simulator(data, truncate_rate=1.0) as sim, httpx.Client(base_url=sim.url) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            http.get("/repos/acme/widgets/commits?per_page=100")


def test_stack_restarts_a_simulator_that_serves_another_dataset(data: Path, tmp_path: Path):
    """`osspulse stack up` leaves running services alone, except a simulator pointed at another dataset."""
    from osspulse.stack.services import FakeApi

    other = tmp_path / "other"
    other.mkdir()
    with running_simulator(data) as sim:
        port = int(sim.url.rsplit(":", 1)[1])
        assert sim.stats()["dataset"] == str(data.resolve())
        same = FakeApi(Settings(fake_api_port=port, fake_api_data=str(data)))
        moved = FakeApi(Settings(fake_api_port=port, fake_api_data=str(other)))
        assert same.outdated() is None
        assert moved.outdated() == f"it serves {data.resolve()}, the settings name {other.resolve()}"


def test_dot_segments_never_reach_the_dataset(data):
    """`GET /repos/../..` once served `<dataset>/github/../repo.json`: '.' and '..' are refused as names."""
    (data / "github" / "repo.json").write_text('{"full_name": "outside/the-dataset"}')
    (data / "repo.json").write_text('{"full_name": "outside/the-dataset"}')
    sim = Simulator(data)
    dotted = ("/repos/../..", "/repos/acme/..", "/repos/acme/.", "/repos/%2e%2e/%2E%2E", "/pypi/../json")
    for target in dotted:
        resp, _ = get(sim, target)
        assert resp.status == 400, target
        assert "outside" not in resp.body.decode(), target
    assert get(sim, "/repos/acme/empty")[0].status == 200  # real names still answer
