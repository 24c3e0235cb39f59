"""Against the running stack: a full build passes every dbt test (schema, relationships, unit tests),
and incremental runs after new days give exactly the tables a full refresh gives.

Raw data: ~75 days of synthetic history (osspulse_dev.sample_data) plus hand-made rows for one
repository and package that exercise the incremental edge cases -- an issue closed in February and
reopened on the new day, a first response loaded late, a rebased commit that makes its author new in
an earlier month, a revised (zero, then non-zero) download day, a release on the new day.
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
from osspulse_dev import sample_data
from osspulse_dev.schema_diff import TableDiff, compare_schemas

pytestmark = pytest.mark.integration

START = dt.date(2025, 1, 1)
DAYS = 75  # history days 0..74 (Jan 1 .. Mar 16); the new days are 75 and 76
EDGE_REPO = "edge-org/edge"
EDGE_PACKAGE = "edge-package"


def day(n: int) -> str:
    return (START + dt.timedelta(days=n)).isoformat()


def ts(n: int, clock: str = "12:00:00", zone: str = "UTC") -> str:
    return f"{day(n)} {clock} {zone}"


def issue(number: int, load: int, *, created: int, state: str, pr: bool = False, **extra: object) -> dict:
    return {
        "repo": EDGE_REPO,
        "number": number,
        "issue_id": 900_000 + number,
        "title": f"edge {number}",
        "state": state,
        "user_login": "erin" if number == 1 else "frank",
        "user_type": "User",
        "is_pull_request": pr,
        "created_at": ts(created, "09:00:00"),
        "updated_at": ts(load, "20:00:00"),
        "load_date": day(load),
        "fetched_at": ts(load, "23:00:00"),
        **extra,
    }


def commit(sha: str, login: str, authored: str, load: int) -> dict:
    return {
        "repo": EDGE_REPO,
        "sha": sha,
        "author_login": login,
        "author_name": login,
        "author_email": f"{login}@example.org",
        "author_date": authored,
        "committer_date": ts(load),
        "payload": {"author": {"type": "User"}, "parents": [{"sha": "p"}]},
        "load_date": day(load),
        "fetched_at": ts(load, "23:00:00"),
    }


def comment(comment_id: int, login: str, created: str, load: int) -> dict:
    return {
        "repo": EDGE_REPO,
        "comment_id": comment_id,
        "issue_url": f"https://api.github.com/repos/{EDGE_REPO}/issues/1",
        "user_login": login,
        "user_type": "Bot" if login.endswith("[bot]") else "User",
        "created_at": created,
        "updated_at": created,
        "load_date": day(load),
        "fetched_at": ts(load, "23:00:00"),
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
        "github_issues": [
            issue(1, 10, created=10, state="open"),
            issue(1, 40, created=10, state="closed", closed_at=ts(40), state_reason="completed"),
            issue(2, 50, created=50, state="open", pr=True),
            issue(2, 52, created=50, state="closed", pr=True, closed_at=ts(52), merged_at=ts(52)),
        ],
        "github_issue_comments": [comment(1, "github-actions[bot]", ts(10, "10:00:00"), 10)],
        "github_commits": [
            commit("e" * 40, "zed", ts(45), 45),
            # 23:30 at -05:00 on January 31 is February 1 in UTC
            commit("f" * 40, "yan", f"{day(30)} 23:30:00 -05:00", 31),
        ],
        "pypi_downloads": download_rows,
    }


def new_day_edge_rows() -> dict[str, list[dict]]:
    """Edge rows of the first new load day (DAYS)."""
    return {
        # the issue closed on February 10 is reopened: February no longer counts it as closed
        "github_issues": [issue(1, DAYS, created=10, state="open", state_reason="reopened")],
        # a human answer from January 12, loaded late: January's time to first response changes
        "github_issue_comments": [comment(2, "gina", ts(11, "08:00:00"), DAYS)],
        # a rebased commit of zed authored on January 6: zed is new in January, not February
        "github_commits": [commit("d" * 40, "zed", ts(5), DAYS)],
        # pypistats revises January 21 from 0 to 50 downloads
        "pypi_downloads": downloads(20, 50, DAYS),
        "github_releases": [
            {
                "repo": EDGE_REPO,
                "release_id": 1,
                "tag_name": "v1.0.0",
                "draft": False,
                "prerelease": False,
                "created_at": ts(DAYS, "10:00:00"),
                "published_at": ts(DAYS, "11:00:00"),
                "load_date": day(DAYS),
                "fetched_at": ts(DAYS, "23:00:00"),
            }
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
def lake(stack: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lake]:
    run = uuid.uuid4().hex[:6]
    workdir = Path(tmp_path_factory.mktemp("dbt"))
    tracked = sample_data.tracked_for(1)
    tracked.projects["edge"] = Project("edge", EDGE_REPO, EDGE_PACKAGE)
    data = tracked.to_dict()
    data["repos"].append(EDGE_REPO)
    data["packages"].append(EDGE_PACKAGE)
    tracked_file = workdir / "tracked.yml"
    tracked_file.write_text(yaml.safe_dump(data), encoding="utf-8")
    settings = stack.model_copy(update={"tracked": tracked_file})
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
        sample_data.drop_schemas(stack, schemas)


@pytest.fixture(scope="module")
def built(lake: Lake) -> dict[str, list[TableDiff]]:
    """Full build on the history, two incremental days, a full refresh beside: the differences."""
    s = lake.settings
    sample_data.generate(s, schema=lake.raw, start=START, days=DAYS, scale=1)
    insert_all(s, lake.raw, history_edge_rows())
    run_dbt(s, ["build"], lake.incremental, capture=True, check=True)

    sample_data.generate(s, schema=lake.raw, start=START, days=DAYS + 1, scale=1, first_load_day=DAYS)
    insert_all(s, lake.raw, new_day_edge_rows())
    run_dbt(s, ["build"], lake.incremental, capture=True, check=True)
    sample_data.generate(s, schema=lake.raw, start=START, days=DAYS + 2, scale=1, first_load_day=DAYS + 1)
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
    from tests.transform.test_dbt_project import GOLD_MODELS

    assert {d.table for d in built["gold"]} >= GOLD_MODELS


def _query(settings: Settings, sql: str) -> list[tuple]:
    with trino_connection(settings) as conn:
        cur = conn.cursor()
        cur.execute(sql)
        return [tuple(row) for row in cur.fetchall()]


def test_the_edge_cases_reached_gold(lake: Lake, built: dict[str, list[TableDiff]]) -> None:
    gold = f"{lake.settings.catalog_name}.{lake.incremental.schema('gold')}"
    months = {
        row[0].isoformat(): row[1:]
        for row in _query(
            lake.settings,
            f"select month, issues_closed, new_contributors, issues_opened from {gold}.repo_activity_monthly "
            f"where repo = '{EDGE_REPO}' order by month",
        )
    }
    assert months["2025-02-01"][0] == 0, "the reopened issue must not count as closed in February"
    assert months["2025-01-01"][1] == 1, "zed (rebased commit of Jan 6) is new in January"
    assert months["2025-02-01"][1] == 1, "yan (23:30 -05:00 on Jan 31) is new in February, zed no more"
    responsiveness = _query(
        lake.settings,
        f"select issue_first_response_hours_median from {gold}.issue_responsiveness_monthly "
        f"where repo = '{EDGE_REPO}' and month = date '2025-01-01'",
    )
    assert responsiveness == [(23.0,)], "first response: gina after 23 h; the bot's comment does not count"
    revised = _query(
        lake.settings,
        f"select download_date, downloads, downloads_wow_pct_change from {gold}.package_downloads_daily "
        f"where package = '{EDGE_PACKAGE}' and download_date in (date '{day(20)}', date '{day(27)}') "
        "order by download_date",
    )
    assert [(r[1], r[2]) for r in revised] == [(50, -0.5), (100, 1.0)]
