"""Data faults: awkward data must give the same gold as the same data delivered cleanly. Each is a
scenario (tests/faults/pool.py) with a simulator of its own: they run concurrently with the other
lanes, and each test waits for its own."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta

from osspulse_sim.server import running_simulator
from tests.faults.pool import scenario
from tests.faults.report import LOAD_DATE, assert_gold_equal


@scenario
def test_duplicate_records_across_pages(ctx) -> None:
    # the last 3 rows of each page come again on the next
    with running_simulator(ctx.fault_dataset, page_overlap=3) as sim:
        lane = ctx.make_lane("dupes", api_url=sim.url)
        lane.run(ctx.spark, LOAD_DATE)
    fault = "duplicate records across pages"
    assert_gold_equal(ctx.baseline(), lane.fingerprint(), fault, "ingest", lane.timings)


@scenario
def test_records_updated_between_pages(ctx) -> None:
    """While page 1 of apache/iceberg's issues is being read, an issue on a later page is updated
    (closed, retitled). The run, and the next one, must give what a clean run on the final data gives."""
    make_lane, spark = ctx.make_lane, ctx.spark
    data = ctx.tmp("updated") / "data"
    shutil.copytree(ctx.fault_dataset, data)
    issues_file = data / "github" / "apache" / "iceberg" / "issues.jsonl"
    issues = [json.loads(line) for line in issues_file.read_text().splitlines()]
    victim = min(
        (i for i in issues if i["state"] == "open" and "pull_request" not in i), key=lambda i: i["updated_at"]
    )
    end = max(i["updated_at"] for i in issues)

    def mutate() -> None:
        victim.update(state="closed", state_reason="completed", closed_at=end, updated_at=end,
                      title=victim["title"] + " (fixed)")  # fmt: skip
        issues_file.write_text("".join(json.dumps(i) + "\n" for i in issues))

    with running_simulator(data) as own:
        original = own.simulator.respond
        mutated = []

        def respond(method, target, headers, host="localhost", body=""):
            resp = original(method, target, headers, host, body)
            if not mutated and target.startswith("/repos/apache/iceberg/issues?") and resp.status == 200:
                mutate()
                mutated.append(target)
            return resp

        own.simulator.respond = respond
        racing = make_lane("updated", dataset=data, api_url=own.url)
        racing.ingest(LOAD_DATE)
        assert mutated
        racing.ingest(LOAD_DATE + timedelta(days=1))  # the next day's incremental run
        racing.load(spark, LOAD_DATE, LOAD_DATE + timedelta(days=2))
        racing.transform()
        own.simulator.respond = original
        # the same two days on the final data, untouched: every gold row must agree, lineage included
        clean = make_lane("updatedclean", dataset=data, api_url=own.url)
        clean.ingest(LOAD_DATE)
        clean.ingest(LOAD_DATE + timedelta(days=1))
        clean.load(spark, LOAD_DATE, LOAD_DATE + timedelta(days=2))
        clean.transform()
        assert clean.fingerprint() != {}  # a real comparison
        fault = "records updated between pages"
        assert_gold_equal(clean.fingerprint(), racing.fingerprint(), fault, "ingest", racing.timings)


def awkward(dataset, out) -> int:
    """A copy of the dataset plus 40 new commits of delta-io/delta with clock-skewed author dates
    (+14:00 offsets, authored two years before committing), unicode and 200 kB fields, unknown e-mails
    (null author), and a field no payload had before (schema drift), pushed on top of the default
    branch's head (each the child of the previous; the head moves to the last). Returns the number of
    commits reachable from the new head: what staging and raw must hold."""
    import hashlib
    from datetime import datetime

    from osspulse_sim.git import CommitGraph
    from osspulse_sim.replay import reachable

    shutil.copytree(dataset, out)
    repo_dir = out / "github" / "delta-io" / "delta"
    path, heads_path = repo_dir / "commits.jsonl", repo_dir / "heads.jsonl"
    commits = [json.loads(line) for line in path.read_text().splitlines()]
    heads = [json.loads(line) for line in heads_path.read_text().splitlines()] if heads_path.exists() else []
    parent = CommitGraph.build(commits, heads).head(None)
    template = commits[0]
    newest = max(
        datetime.fromisoformat(c["commit"]["committer"]["date"].replace("Z", "+00:00")) for c in commits
    )
    added = []
    for n in range(40):
        commit = json.loads(json.dumps(template))
        commit["sha"] = hashlib.sha1(f"awkward-{n}".encode()).hexdigest()  # noqa: S324 - an id, not security
        commit["parents"] = [{"sha": parent, "url": commit["url"].rsplit("/", 1)[0] + f"/{parent}"}]
        parent = commit["sha"]
        committed = newest + timedelta(minutes=n + 1)
        commit["commit"]["committer"]["date"] = committed.strftime("%Y-%m-%dT%H:%M:%SZ")
        authored = committed - timedelta(days=730) if n % 2 else committed
        commit["commit"]["author"]["date"] = authored.strftime("%Y-%m-%dT%H:%M:%S") + "+14:00"
        commit["api_new_field"] = {"n": n}
        if n % 4 == 0:
            commit["author"] = None
            commit["commit"]["author"]["email"] = f"unknown{n}@example.invalid"
            commit["commit"]["author"]["name"] = "Unknown"
        if n % 4 == 1:
            commit["commit"]["message"] = "Ünïcödé ✓ 提交 🚀 " + "x" * 200_000
            commit["commit"]["author"]["name"] = "Zoë Ångström-Łukasiewicz 山田"
        added.append(commit)
    commits = added[::-1] + commits  # newest first, as GitHub lists them
    path.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in commits))
    if heads:  # a dataset with a head history: the push moves the head
        last = added[-1]["commit"]["committer"]["date"]
        heads_path.write_text("".join(json.dumps(h) + "\n" for h in [*heads, {"date": last, "sha": parent}]))
    return len(reachable(repo_dir, None))


@scenario
def test_awkward_data_in_one_run_equals_the_same_data_in_two(ctx) -> None:
    """The awkward dataset ingested at once, and the plain data first with the awkward commits arriving
    in a rerun of the same day, give the same gold; every awkward commit is counted and kept whole."""
    make_lane, spark, tmp_path = ctx.make_lane, ctx.spark, ctx.tmp("awkward")
    plain = tmp_path / "plain"
    total = awkward(ctx.fault_dataset, tmp_path / "awkward")
    shutil.copytree(ctx.fault_dataset, plain)
    with running_simulator(tmp_path / "awkward") as sim:
        at_once = make_lane("awkward", dataset=tmp_path / "awkward", api_url=sim.url)
        at_once.run(spark, LOAD_DATE)
    with running_simulator(plain) as sim:
        in_two = make_lane("awkwardtwo", dataset=plain, api_url=sim.url)
        in_two.run(spark, LOAD_DATE)
        for name in ("commits.jsonl", "heads.jsonl"):  # the push arrives
            if (tmp_path / "awkward" / "github" / "delta-io" / "delta" / name).exists():
                shutil.copy(tmp_path / "awkward" / "github" / "delta-io" / "delta" / name,
                            plain / "github" / "delta-io" / "delta" / name)  # fmt: skip
        in_two.run(spark, LOAD_DATE)  # the same day again: only the new commits are fetched
    assert_gold_equal(at_once.fingerprint(), in_two.fingerprint(),
            "clock skew, unicode and 200 kB fields, null authors, a new payload field", "all",
            at_once.timings)  # fmt: skip
    raw = spark.sql(
        f"select count(*), count(author_login), max(length(message)) from lake.{at_once.raw_namespace}"
        ".github_commits where repo = 'delta-io/delta'"
    ).first()
    assert raw[0] == total and raw[1] < total and raw[2] > 200_000
    drift = spark.sql(
        f"select count(*) from lake.{at_once.raw_namespace}.github_commits "
        "where get_json_object(payload, '$.api_new_field.n') is not null"
    ).first()[0]
    assert drift == 40  # the new field is kept in the payload, nothing lost
