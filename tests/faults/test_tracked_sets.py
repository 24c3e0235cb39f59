"""Every shape of tracked set runs clean (issue 13.3): repositories only, packages only, and
repositories that keep their issues elsewhere (issues disabled: GitHub answers 410) and publish no
releases.

Each runs the functions the Airflow tasks call, in a lane of its own (private staging database, raw
namespace and dbt schemas), as a scenario (tests/faults/pool.py) concurrent with the other lanes:
ingest, load, `dbt build` (models and data tests) and `dbt source freshness`. Nothing may fail: an
entity that is empty because the tracked set has none of it is "no data", not "stale", and the gold
tables built only from it are legitimately empty (``check_gold``'s rule, the one the demo applies).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from osspulse.lake.trino import trino_connection
from osspulse.pipeline import check_gold
from osspulse.tracked import Tracked
from tests.faults.pool import scenario

pytestmark = [pytest.mark.integration, pytest.mark.faults]

QUIET_FILES = ("issues", "comments", "releases", "pulls", "reviews", "review_comments")


def _dataset(out: Path, tracked: Tracked, *, issues_disabled: bool = False) -> Path:
    from osspulse_sim.generate import generate

    generate(out, tracked=tracked)
    if issues_disabled:
        for repo_json in sorted((out / "github").glob("*/*/repo.json")):
            body = json.loads(repo_json.read_text())
            body["has_issues"] = False
            body["open_issues_count"] = 0
            repo_json.write_text(json.dumps(body) + "\n")
            for name in QUIET_FILES:
                (repo_json.parent / f"{name}.jsonl").write_text("")
    return out


def _run_lane(make_lane, spark, name: str, dataset: Path):
    from osspulse_sim.generate import dataset_end_date
    from osspulse_sim.server import running_simulator

    with running_simulator(dataset) as sim:
        lane = make_lane(name, dataset=dataset, api_url=sim.url)
        load_date = dataset_end_date(dataset)
        lane.ingest(load_date)
        lane.load(spark, load_date)
    lane.dbt("build", "--exclude-resource-type", "unit_test")  # raises, with dbt's output, on any failure
    freshness = lane.dbt("source", "freshness")
    assert "ERROR STALE" not in freshness.output, freshness.output[-3000:]
    return check_gold(lane.settings, lane.prefix, lane.raw_namespace), lane


def _one(lane, sql: str):
    with trino_connection(lane.base) as conn:
        cur = conn.cursor()
        cur.execute(sql.format(gold=f"{lane.base.catalog_name}.{lane.prefix}gold"))
        return cur.fetchone()[0]


@scenario
def test_repositories_without_issues_or_releases_and_no_packages(ctx) -> None:
    tracked = Tracked(repos=("quiet-org/jira-tracked", "quiet-org/no-releases"))
    dataset = _dataset(ctx.tmp("quiet") / "quiet", tracked, issues_disabled=True)

    gold, lane = _run_lane(ctx.make_lane, ctx.spark, "quietrepos", dataset)

    assert gold["repo_activity_monthly"] > 0  # commits still count
    assert gold["top_contributors"] > 0
    # one row per repository and month, as for every repository, and nothing opened in any of them
    opened = "select coalesce(sum(issues_opened + prs_opened), 0) from {gold}.issue_responsiveness_monthly"
    assert _one(lane, opened) == 0
    assert gold["package_downloads_monthly"] == 0  # no package tracked


@scenario
def test_packages_only(ctx) -> None:
    dataset = _dataset(ctx.tmp("pkgs") / "pkgs", Tracked(packages=("lonely-package",)))

    gold, _ = _run_lane(ctx.make_lane, ctx.spark, "pkgsonly", dataset)

    assert gold["package_downloads_monthly"] > 0
    assert gold["python_version_adoption_monthly"] > 0
    assert gold["repo_activity_monthly"] == 0  # no repository tracked
