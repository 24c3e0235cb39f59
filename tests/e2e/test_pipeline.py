"""The demo's flow through the real Airflow scheduler, checked against figures computed from the dataset.

1. a fresh scale-1 simulator dataset; the stack's sources point at it (``sources.env``); the pipeline's
   data (staging, the lake namespaces) starts empty;
2. ``ingest`` is triggered through the REST API; the Asset-driven ``load_iceberg`` and
   ``transform_dbt`` runs (exactly one each) are awaited;
3. gold equals what this test computes from the dataset files on its own;
4. the demo's alert rules raise events in gold; ``deliver_alerts`` (on the lake.gold asset) sends them
   to a real SMTP server and webhook receiver, retrying through Airflow when the receiver is down;
5. running the whole flow again for the same date, with an unknown repo added, fails that repo's task
   readably, finishes the others, changes no gold row and sends no alert again.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml

from osspulse import pipeline
from osspulse.lake.trino import trino_connection
from osspulse.orchestration.airflow_api import AirflowApiError, AirflowClient
from osspulse.orchestration.dag_ids import ALERTS, INGEST, LOAD, TRANSFORM

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def query(s, sql: str) -> list[tuple]:
    with trino_connection(s) as conn:
        cur = conn.cursor()
        cur.execute(sql)
        return [tuple(r) for r in cur.fetchall()]


def jsonl(path: Path) -> list[dict]:
    return (
        [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []
    )


def day_of(timestamp: str) -> date:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).astimezone(UTC).date()


def month_of(timestamp: str) -> date:
    moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00")).astimezone(UTC)
    return date(moment.year, moment.month, 1)


def expected_monthly(dataset: Path, as_of: date) -> dict[tuple[str, date], Counter]:
    """Per (repo, month): the measures of gold.repo_activity_monthly, straight from the dataset files
    (docs/metrics.md): commits reachable from the default branch head (a force-push drops some),
    authored on or before the as-of date (a wrong clock's future dates count nowhere), merge commits
    apart; releases that still exist (a deleted and re-created release counts once)."""
    from osspulse_sim.replay import reachable

    figures: dict[tuple[str, date], Counter] = {}
    for repo_dir in sorted((dataset / "github").glob("*/*")):
        repo = f"{repo_dir.parent.name}/{repo_dir.name}"

        def add(when: str | None, measure: str, repo: str = repo) -> None:
            if when:
                figures.setdefault((repo, month_of(when)), Counter())[measure] += 1

        for commit in reachable(repo_dir, None).values():
            authored = commit["commit"]["author"]["date"]
            if len(commit.get("parents") or []) <= 1 and day_of(authored) <= as_of:
                add(authored, "commits")
        for issue in jsonl(repo_dir / "issues.jsonl"):
            if "pull_request" in issue:
                add(issue["created_at"], "prs_opened")
                add(issue["pull_request"].get("merged_at"), "prs_merged")
            else:
                add(issue["created_at"], "issues_opened")
                if issue["state"] == "closed":
                    add(issue.get("closed_at"), "issues_closed")
        for release in jsonl(repo_dir / "releases.jsonl"):
            if not release.get("draft") and not release.get("_sim_deleted_at"):
                add(release.get("published_at"), "releases")
    return figures


def gold_fingerprint(s) -> dict[str, str]:
    """A hash of every gold table's rows (order-independent), to compare two builds row by row."""
    prints = {}
    for table in pipeline.GOLD_TABLES:
        rows = sorted(repr(r) for r in query(s, f"select * from {s.catalog_name}.gold.{table}"))
        prints[table] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return prints


def test_every_gold_table_has_rows(demo_pipeline):
    s = demo_pipeline.settings
    counts = pipeline.check_gold(s)
    assert set(counts) == set(pipeline.GOLD_TABLES)


def test_staging_and_raw_hold_the_dataset(demo_pipeline):
    s, dataset = demo_pipeline.settings, demo_pipeline.dataset
    from osspulse_sim.replay import reachable

    # staging holds exactly the commits reachable from each default branch's head (a force-push
    # rewrote some of the merge-style repository's)
    commits = sum(len(reachable(d, None)) for d in (dataset / "github").glob("*/*"))
    issues = sum(len(jsonl(p)) for p in (dataset / "github").glob("*/*/issues.jsonl"))
    assert pipeline.staging_counts(s)["github_commits"] == commits
    raw = pipeline.raw_counts(s)
    assert raw["github_commits"] == commits and raw["github_issues"] == issues


def test_monthly_activity_equals_the_dataset(demo_pipeline):
    s, dataset = demo_pipeline.settings, demo_pipeline.dataset
    expected = expected_monthly(dataset, demo_pipeline.load_date)
    measures = ("commits", "issues_opened", "issues_closed", "prs_opened", "prs_merged", "releases")
    rows = query(
        s,
        f"select repo, month, {', '.join(measures)} from {s.catalog_name}.gold.repo_activity_monthly",
    )
    actual = {(repo, month): dict(zip(measures, values, strict=True)) for repo, month, *values in rows}
    mismatches = []
    for key, counts in expected.items():
        got = actual.get(key)
        want = {m: counts.get(m, 0) for m in measures}
        if got != want:
            mismatches.append((key, want, got))
    assert not mismatches, mismatches[:5]
    # months the dataset has no activity in carry zeros only
    for key, got in actual.items():
        if key not in expected:
            assert set(got.values()) == {0}, (key, got)


def alert_deliveries(s, run_ids) -> set[tuple[str, str]]:
    """(recipient, event id) the ledger lake.ops.alert_deliveries holds for these deliver_alerts runs."""
    ids = ", ".join(f"'{r}'" for r in run_ids)
    return set(
        query(
            s,
            f"select recipient, event_id from {s.catalog_name}.ops.alert_deliveries "
            f"where message = 'event' and run_id in ({ids})",
        )
    )


def event_messages(sink) -> tuple[list, list]:
    """(e-mails, webhook posts) of alert events, oldest first: not the weekly digest, which alert_digest
    sends too when the stack starts after a Monday's 07:00 UTC whose digest was not sent yet."""
    mails = [m for m in sink.inbox.mails() if "weekly digest" not in m["Subject"]]
    hooks = [h for h in sink.inbox.webhooks() if "weekly digest" not in h["body"]["text"]]
    return mails, hooks


def test_alerts_reach_email_and_webhook_through_airflow_after_a_retry(demo_pipeline):
    """deliver_alerts ran on the transform's lake.gold event; the webhook receiver refused its first post
    (HTTP 503), so the task failed, Airflow retried it, and each recipient got every event exactly once:
    the e-mail in the first try, the webhook in the retry (the ledger kept the e-mail from going twice)."""
    s, sink = demo_pipeline.settings, demo_pipeline.alert_sink
    with AirflowClient(s) as api:
        runs = api.wait_settled(ALERTS, demo_pipeline.started, timeout=900)
        first = runs[0]  # the demo's transform; later tests' transforms trigger more runs
        tries = [ti["try_number"] for ti in api.task_instances(ALERTS, first.run_id)]
    assert first.state == "success" and tries == [2]
    events = query(
        s,
        f"select event_id, rule from {s.catalog_name}.gold.alert_events "
        f"where first_seen < from_iso8601_timestamp('{first.start_date.isoformat()}')",
    )
    assert events, "the demo rules raise events on the demo dataset (docs/alerts.md)"
    assert alert_deliveries(s, [first.run_id]) == {
        (recipient, event_id) for recipient in ("demo-team", "demo-chat") for event_id, _ in events
    }
    mails, hooks = event_messages(sink)
    mail, hook = mails[0], hooks[0]
    assert mail["To"] == "demo-team@osspulse.local"
    n = len(events)
    html = mail.get_body(("html",)).get_content()
    assert html.count("<tr>") == n + 1  # a header and one row per event
    assert all(f"<td>{rule}</td>" in html for _, rule in events)
    text = hook["body"]["text"]
    assert text.startswith(f"*OSS Pulse: {n} new alert") and text.count("\n• ") == n


def test_a_rerun_with_an_unknown_repo_fails_that_task_and_changes_no_gold_row(demo_pipeline):
    """The whole flow again for the same date, with a repo GitHub does not know added to the run.

    One pass, two promises: the unknown repo fails its own mapped task with a readable error while the
    others finish and their data flows on (load and transform run), and re-running a date that was
    already loaded changes no gold row.
    """
    s = demo_pipeline.settings
    before = gold_fingerprint(s)
    tracked = yaml.safe_load((demo_pipeline.dataset / "tracked.yml").read_text())["repos"]
    repos = [*tracked, "osspulse-test/no-such-repo"]
    conf = {"load_date": str(demo_pipeline.load_date)}
    with AirflowClient(s) as api:
        run = api.trigger(INGEST, {**conf, "repos": repos})
        with pytest.raises(AirflowApiError) as failure:
            api.wait(INGEST, run.run_id, timeout=900)
        tis = {
            (ti["task_id"], ti.get("rendered_map_index")): ti["state"]
            for ti in api.task_instances(INGEST, run.run_id)
        }
        loads = api.wait_settled(LOAD, run.run_after, timeout=1800)
        transforms = api.wait_settled(TRANSFORM, run.run_after, timeout=2400)
    message = str(failure.value)
    assert "osspulse-test/no-such-repo" in message
    assert "404" in message or "not found" in message.lower()
    assert tis[("ingest_repo", "osspulse-test/no-such-repo")] == "failed"
    assert all(tis[("ingest_repo", repo)] == "success" for repo in tracked)
    assert tis[("publish_batch", None)] == "success"  # the good repos' data still flows on
    assert all(state == "success" for (task, _), state in tis.items() if task == "ingest_package")
    # one batch: exactly one load run and one transform run, and both succeed
    assert len(loads) == 1 and len(transforms) == 1
    assert all(r.state == "success" for r in [*loads, *transforms])
    assert gold_fingerprint(s) == before


def test_the_rerun_sends_no_alert_again(demo_pipeline):
    """The rerun's transform emitted lake.gold again and deliver_alerts ran again: nothing was new, so
    nothing was sent (an event fires once, not every day it stays true), and no event ever reached a
    recipient twice."""
    s, sink = demo_pipeline.settings, demo_pipeline.alert_sink
    with AirflowClient(s) as api:
        runs = api.wait_settled(ALERTS, demo_pipeline.started, timeout=900)
    assert len(runs) >= 2 and all(r.state == "success" for r in runs)
    assert not alert_deliveries(s, [runs[-1].run_id])
    twice = query(
        s,
        f"select recipient, event_id from {s.catalog_name}.ops.alert_deliveries where message = 'event' "
        "group by recipient, event_id having count(*) > 1",
    )
    assert not twice
    ids = ", ".join(f"'{r.run_id}'" for r in runs)
    sending_runs = query(
        s,
        f"select distinct run_id from {s.catalog_name}.ops.alert_deliveries "
        f"where message = 'event' and recipient = 'demo-team' and run_id in ({ids})",
    )
    assert len(event_messages(sink)[0]) == len(sending_runs)  # one e-mail per run with something new
