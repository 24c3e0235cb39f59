"""Against the running stack: a full build passes every dbt test (schema, relationships, unit tests),
and incremental runs after new days give exactly the tables a full refresh gives.

Raw data: 75 days of synthetic history (osspulse_dev.sample_data) plus hand-made rows for one
repository and package that exercise what incremental runs get wrong: an issue closed in February and
reopened on a new day; a first response loaded late, and a review earlier than any comment; a rebased
commit that makes its author new in an earlier month; a commit first loaded with an e-mail only and
re-read with its login (e-mail to login); a login renamed on GitHub (same user id); a commit deleted by
a force-push (tombstone); a release deleted and re-created with its tag; a revised download day; a
repository with 15 years of history tracked after the first build (a batch over 180 months); and a
rerun of a load date 10 days back that changes rows (it must reach gold without a full refresh).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from osspulse.lake.trino import trino_connection
from osspulse.settings import Settings
from osspulse.tracked import Project
from osspulse.transform.dbt import LAYERS, DbtTarget, run_dbt
from osspulse.transform.project import gold_tables
from osspulse_dev import sample_data
from osspulse_dev.schema_diff import TableDiff, compare_schemas

pytestmark = pytest.mark.integration

START = dt.date(2025, 1, 1)
DAYS = 75  # history days 0..74 (Jan 1 .. Mar 16); the new days are 75 and 76
EDGE_REPO, EDGE_REPO_ID = "edge-org/edge", 900
VETERAN_REPO, VETERAN_REPO_ID = "edge-org/veteran", 901
EDGE_PACKAGE = "edge-package"
RITA, LOU = 501, 502  # GitHub user ids


def day(n: int) -> str:
    return (START + dt.timedelta(days=n)).isoformat()


def ts(n: int, clock: str = "12:00:00", zone: str = "UTC") -> str:
    return f"{day(n)} {clock} {zone}"


def snapshot(repo: str, repo_id: int, n: int) -> dict:
    return {
        "repo": repo,
        "snapshot_date": day(n),
        "repo_id": repo_id,
        "full_name": repo,
        "stargazers_count": 10 + n,
        "forks_count": 1,
        "watchers_count": 10 + n,
        "subscribers_count": 2,
        "open_issues_count": 1,
        "payload": {"id": repo_id},
        "load_date": day(n),
        "fetched_at": ts(n, "23:30:00"),
    }


def issue(number: int, load: int, *, created: int, state: str, pr: bool = False, **extra: object) -> dict:
    login = "erin" if number == 1 else "frank"
    return {
        "repo": EDGE_REPO,
        "number": number,
        "issue_id": 900_000 + number,
        "title": f"edge {number}",
        "state": state,
        "user_login": login,
        "user_type": "User",
        "author_association": "CONTRIBUTOR",
        "is_pull_request": pr,
        "created_at": ts(created, "09:00:00"),
        "updated_at": ts(load, "20:00:00"),
        "payload": {"user": {"id": 700 + number}},
        "load_date": day(load),
        "fetched_at": ts(load, "23:00:00"),
        **extra,
    }


def commit(
    sha: str, login: str | None, authored: str, load: int, *, user_id: int | None = None, **extra
) -> dict:
    name = extra.pop("name", login or "someone")
    author = {"type": "User", "login": login, "id": user_id} if login else None
    return {
        "repo": extra.pop("repo", EDGE_REPO),
        "sha": sha,
        "author_login": login,
        "author_name": name,
        "author_email": f"{name.lower()}@example.org",
        "author_date": authored,
        "committer_date": ts(load),
        "payload": {"author": author, "parents": [{"sha": "p"}]},
        "load_date": day(load),
        "fetched_at": ts(load, "23:00:00"),
        **extra,
    }


def comment(comment_id: int, login: str, created: str, load: int, number: int = 1) -> dict:
    return {
        "repo": EDGE_REPO,
        "comment_id": comment_id,
        "issue_url": f"https://api.github.com/repos/{EDGE_REPO}/issues/{number}",
        "user_login": login,
        "user_type": "Bot" if login.endswith("[bot]") else "User",
        "created_at": created,
        "updated_at": created,
        "payload": {"user": {"id": 800 + comment_id}},
        "load_date": day(load),
        "fetched_at": ts(load, "23:00:00"),
    }


def release(release_id: int, load: int, **extra: object) -> dict:
    return {
        "repo": EDGE_REPO,
        "release_id": release_id,
        "tag_name": "v1.0.0",
        "draft": False,
        "prerelease": False,
        "created_at": ts(load, "10:00:00"),
        "published_at": ts(load, "11:00:00"),
        "load_date": day(load),
        "fetched_at": ts(load, "23:00:00"),
        **extra,
    }


def downloads(download_day: int, value: int, load: int) -> list[dict]:
    return [
        {
            "package": EDGE_PACKAGE,
            "metric": "overall",
            "category": category,
            "download_date": day(download_day),
            "downloads": value,
            "load_date": day(load),
            "fetched_at": ts(load, "04:00:00"),
        }
        for category in ("without_mirrors", "with_mirrors")
    ]


def history_edge_rows() -> dict[str, list[dict]]:
    """Edge rows loaded before the first build (load days < DAYS)."""
    download_rows = []
    for d in range(DAYS - 1):
        download_rows += downloads(d, 0 if d == 20 else 100, d + 1)
    return {
        "github_repos": [snapshot(EDGE_REPO, EDGE_REPO_ID, n) for n in (0, 30, DAYS - 1)],
        "github_issues": [
            issue(1, 10, created=10, state="open"),
            issue(1, 40, created=10, state="closed", closed_at=ts(40), state_reason="completed"),
            issue(2, 50, created=50, state="open", pr=True),
            issue(2, 52, created=50, state="closed", pr=True, closed_at=ts(52), merged_at=ts(52)),
            issue(3, DAYS - 12, created=DAYS - 12, state="open"),
        ],
        "github_issue_comments": [
            comment(1, "github-actions[bot]", ts(10, "10:00:00"), 10),
            comment(3, "gina", ts(50, "20:00:00"), 50, number=2),
        ],
        "github_commits": [
            commit("e" * 40, "zed", ts(45), 45, user_id=601),
            # 23:30 at -05:00 on January 31 is February 1 in UTC
            commit("f" * 40, "yan", f"{day(30)} 23:30:00 -05:00", 31, user_id=602),
            # rita: GitHub did not link her e-mail yet (no login, no id)
            commit("a" * 40, None, ts(20), 20, name="Rita"),
            # lou, before renaming his account
            commit("b" * 40, "lou", ts(21), 21, user_id=LOU),
            commit("9" * 40, "zed", ts(60), 60, user_id=601),
        ],
        "github_releases": [release(1, 40)],
        "pypi_downloads": download_rows,
    }


def new_day_edge_rows() -> dict[str, list[dict]]:
    """Edge rows of the first new load day (DAYS)."""
    return {
        "github_repos": [
            snapshot(EDGE_REPO, EDGE_REPO_ID, DAYS),
            snapshot(VETERAN_REPO, VETERAN_REPO_ID, DAYS),
        ],
        # the issue closed on February 10 is reopened: February no longer counts it as closed
        "github_issues": [issue(1, DAYS, created=10, state="open", state_reason="reopened")],
        # a human answer from January 12, loaded late: January's time to first response changes
        "github_issue_comments": [comment(2, "gina", ts(11, "08:00:00"), DAYS)],
        # a review of PR 2 two hours after it was opened, earlier than gina's comment
        "github_pull_reviews": [
            {
                "repo": EDGE_REPO,
                "review_id": 1,
                "pull_request_url": f"https://api.github.com/repos/{EDGE_REPO}/pulls/2",
                "user_login": "hal",
                "user_id": 803,
                "user_type": "User",
                "author_association": "MEMBER",
                "state": "APPROVED",
                "submitted_at": ts(50, "11:00:00"),
                "load_date": day(DAYS),
                "fetched_at": ts(DAYS, "23:00:00"),
            }
        ],
        "github_commits": [
            # a rebased commit of zed authored on January 6: zed is new in January, not February
            commit("d" * 40, "zed", ts(5), DAYS, user_id=601),
            # rita's commit re-read now that GitHub links her e-mail to her account (e-mail to login)
            commit("a" * 40, "rita", ts(20), DAYS, user_id=RITA, name="Rita"),
            commit("c" * 40, "rita", ts(DAYS - 1), DAYS, user_id=RITA, name="Rita"),
            # lou renamed his account: his old commit is returned with the new login, same id
            commit("b" * 40, "lou-new", ts(21), DAYS, user_id=LOU, name="lou"),
            commit("8" * 40, "lou-new", ts(DAYS - 1), DAYS, user_id=LOU, name="lou"),
            # a force-push made zed's commit of March 2 unreachable
            commit("9" * 40, "zed", ts(60), DAYS, user_id=601, deleted_at=ts(DAYS, "22:00:00")),
            # 15 years of history of a repository tracked from today: a batch over 180 months
            *[
                commit(
                    f"{i:040x}",
                    "vera",
                    f"{2010 + i // 12}-{i % 12 + 1:02d}-15 10:00:00 UTC",
                    DAYS,
                    user_id=603,
                    repo=VETERAN_REPO,
                )
                for i in range(180)
            ],
        ],
        # v1.0.0 was deleted and re-created with the same tag: still one release
        "github_releases": [release(1, DAYS, deleted_at=ts(DAYS, "09:00:00")), release(2, DAYS)],
        # pypistats revises January 21 from 0 to 50 downloads
        "pypi_downloads": downloads(20, 50, DAYS),
    }


def rerun_edge_rows() -> dict[str, list[dict]]:
    """A rerun of load date DAYS - 10 that changed rows: its load_date is old, its loaded_at new."""
    return {
        "pypi_downloads": downloads(DAYS - 11, 777, DAYS - 10),
        "github_issues": [
            issue(
                3,
                DAYS - 10,
                created=DAYS - 12,
                state="closed",
                closed_at=ts(DAYS - 10),
                state_reason="completed",
            )
        ],
    }


def insert_all(settings: Settings, schema: str, rows: dict[str, list[dict]]) -> None:
    for entity_name, entity_rows in rows.items():
        sample_data.insert_rows(settings, schema, entity_name, entity_rows)


@dataclass
class Lake:
    settings: Settings
    raw: str
    incremental: DbtTarget
    full: DbtTarget


@pytest.fixture(scope="module")
def lake(lake_stack: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lake]:
    run = uuid.uuid4().hex[:6]
    workdir = Path(tmp_path_factory.mktemp("dbt"))
    tracked = sample_data.tracked_for(1)
    tracked.projects["edge"] = Project("edge", EDGE_REPO, EDGE_PACKAGE)
    data = tracked.to_dict()
    data["repos"] += [EDGE_REPO, VETERAN_REPO]
    data["packages"].append(EDGE_PACKAGE)
    tracked_file = workdir / "tracked.yml"
    tracked_file.write_text(yaml.safe_dump(data), encoding="utf-8")
    settings = lake_stack.model_copy(update={"tracked": tracked_file})
    raw = f"t{run}_raw"
    lake = Lake(
        settings,
        raw,
        DbtTarget(schema_prefix=f"t{run}i_", raw_schema=raw, workdir=workdir / "incremental"),
        DbtTarget(schema_prefix=f"t{run}f_", raw_schema=raw, workdir=workdir / "full"),
    )
    try:
        yield lake
    finally:
        schemas = [raw] + [t.schema(layer) for t in (lake.incremental, lake.full) for layer in LAYERS]
        sample_data.drop_schemas(lake_stack, schemas)


@pytest.fixture(scope="module")
def built(lake: Lake) -> dict[str, list[TableDiff]]:
    """Full build on the history, incremental runs after two new days and a rerun of an old load
    date, a full refresh beside: the differences."""
    s = lake.settings
    sample_data.generate(s, schema=lake.raw, start=START, days=DAYS, scale=1)
    insert_all(s, lake.raw, history_edge_rows())
    run_dbt(s, ["build"], lake.incremental, capture=True, check=True)

    sample_data.generate(s, schema=lake.raw, start=START, days=DAYS + 1, scale=1, first_load_day=DAYS)
    insert_all(s, lake.raw, new_day_edge_rows())
    run_dbt(s, ["build"], lake.incremental, capture=True, check=True)
    sample_data.generate(s, schema=lake.raw, start=START, days=DAYS + 2, scale=1, first_load_day=DAYS + 1)
    run_dbt(s, ["run"], lake.incremental, capture=True, check=True)
    insert_all(s, lake.raw, rerun_edge_rows())
    run_dbt(s, ["run"], lake.incremental, capture=True, check=True)

    run_dbt(s, ["seed"], lake.full, capture=True, check=True)
    run_dbt(s, ["run", "--full-refresh"], lake.full, capture=True, check=True)
    return {
        layer: compare_schemas(s, lake.incremental.schema(layer), lake.full.schema(layer)) for layer in LAYERS
    }


@pytest.mark.parametrize("layer", LAYERS)
def test_incremental_runs_equal_a_full_refresh(built: dict[str, list[TableDiff]], layer: str) -> None:
    diffs = built[layer]
    assert diffs, f"no tables in the {layer} layer"
    unequal = [d for d in diffs if not d.equal]
    assert not unequal, f"{layer} tables differ between incremental and full refresh: {unequal}"


def test_every_gold_table_is_compared(built: dict[str, list[TableDiff]]) -> None:
    assert {d.table for d in built["gold"]} >= set(gold_tables("metric"))


def _query(settings: Settings, sql: str) -> list[tuple]:
    with trino_connection(settings) as conn:
        cur = conn.cursor()
        cur.execute(sql)
        return [tuple(row) for row in cur.fetchall()]


def test_the_edge_cases_reached_gold(lake: Lake, built: dict[str, list[TableDiff]]) -> None:
    s = lake.settings
    gold = f"{s.catalog_name}.{lake.incremental.schema('gold')}"
    months = {
        row[0].isoformat(): row[1:]
        for row in _query(
            s,
            f"select month, issues_closed, new_contributors, commits from {gold}.repo_activity_monthly "
            f"where repo_id = {EDGE_REPO_ID} order by month",
        )
    }
    assert months["2025-02-01"][0] == 0, "the reopened issue must not count as closed in February"
    assert months["2025-01-01"][1] == 3, "zed (rebased commit of Jan 6), rita and lou are new in January"
    assert months["2025-02-01"][1] == 1, "yan (23:30 -05:00 on Jan 31) is new in February, zed no more"
    assert months["2025-03-01"][2] == 2, "March: rita's and lou's commits; zed's deleted commit is gone"
    responsiveness = _query(
        s,
        f"select month, issue_first_response_hours_median, pr_first_response_hours_median "
        f"from {gold}.issue_responsiveness_monthly where repo_id = {EDGE_REPO_ID} "
        "and month in (date '2025-01-01', date '2025-02-01') order by month",
    )
    assert responsiveness[0][1] == 23.0, "first response: gina after 23 h; the bot's comment does not count"
    assert responsiveness[1][2] == 2.0, "the review 2 h after PR 2 opened is its first response"
    people = _query(
        s,
        f"select contributor_id, display_name, commits from {gold}.top_contributors "
        f"where repo_id = {EDGE_REPO_ID} and contributor_id in ('github:{RITA}', 'github:{LOU}') order by 1",
    )
    assert people == [(f"github:{RITA}", "rita", 2), (f"github:{LOU}", "lou-new", 2)], (
        "rita's e-mail-only commit and her linked one are one person; lou's rename keeps one person"
    )
    releases = _query(s, f"select sum(releases) from {gold}.release_cadence where repo_id = {EDGE_REPO_ID}")
    assert releases == [(1,)], "a release deleted and re-created with its tag counts once"
    veteran = _query(
        s,
        f"select count(*), sum(commits), min(month) from {gold}.repo_activity_monthly "
        f"where repo_id = {VETERAN_REPO_ID} and commits > 0",
    )
    assert veteran == [(180, 180, dt.date(2010, 1, 1))], (
        "15 years of history reached gold in one incremental run"
    )
    revised = _query(
        s,
        f"select download_date, downloads, downloads_wow_pct_change from {gold}.package_downloads_daily "
        f"where package = '{EDGE_PACKAGE}' and download_date in (date '{day(20)}', date '{day(27)}', "
        f"date '{day(DAYS - 11)}') order by download_date",
    )
    assert [(r[1], r[2]) for r in revised] == [(50, -0.5), (100, 1.0), (777, 6.77)], (
        "pypistats' revision and the rerun of a load date 10 days back both reached gold"
    )
    closed = _query(
        s,
        f"select sum(issues_closed) from {gold}.repo_activity_daily where repo_id = {EDGE_REPO_ID} "
        f"and day = date '{day(DAYS - 10)}'",
    )
    assert closed == [(1,)], "the issue closed in the rerun load date reached gold without a full refresh"
