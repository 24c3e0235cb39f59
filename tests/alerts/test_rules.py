"""The alert rule file: parsed and validated like tracked.yml (a mistake names its line), and the
``alert_rules`` seed dbt evaluates."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from osspulse.alerts.rules import (
    SEED,
    SEED_COLUMNS,
    AlertRulesError,
    load_alerts,
    parse_alerts,
    seed_csv,
    write_seed,
)
from osspulse.settings import Settings
from osspulse.tracked import parse_tracked
from osspulse.transform.dbt import DbtTarget, prepare

TRACKED_TEXT = """\
repos: [apache/iceberg, delta-io/delta]
packages: [pyiceberg, deltalake]
projects:
  iceberg: {repo: apache/iceberg, package: pyiceberg}
  deltalake: {package: deltalake}
  delta: {repo: delta-io/delta}
groups:
  lakehouse: [iceberg, delta, deltalake]
  github-only: [delta]
"""
TRACKED = parse_tracked(TRACKED_TEXT)

RULES = """\
recipients:
  data-team: {email: [data-team@example.org, lead@example.org]}
  chat: {webhook: true}
rules:
  - name: releases
    kind: new_release
    group: lakehouse
    prereleases: true
    within_days: 3
  - name: iceberg-downloads-fell
    kind: downloads_change
    project: iceberg
    direction: drop
    threshold_pct: 20
    notify: [data-team]
  - name: unanswered
    kind: unanswered_share
    items: issues
    after_days: 7
    threshold_pct: 50
    min_items: 3
  - name: bus-factor
    kind: absence_factor
    at_most: 1
  - name: py313
    kind: python_version_share
    python_version: "3.13"
    threshold_pct: 25
  - name: stars
    kind: stars_gained
    more_than: 100
    notify: chat
  - name: stale
    kind: data_stale
    source: pypistats
    days: 2
"""


def _seed_rows(text: str) -> dict[str, dict[str, str]]:
    return {row["rule"]: row for row in csv.DictReader(io.StringIO(text))}


def test_every_kind_parses_into_a_seed_row_with_thresholds_in_the_unit_of_the_value() -> None:
    config = parse_alerts(RULES, TRACKED, "alerts.yml")
    assert [r.name for r in config.rules] == [
        "releases",
        "iceberg-downloads-fell",
        "unanswered",
        "bus-factor",
        "py313",
        "stars",
        "stale",
    ]
    assert config.recipients["data-team"].emails == ("data-team@example.org", "lead@example.org")
    assert config.recipients["chat"].channel == "webhook"
    assert config.recipients_of("iceberg-downloads-fell") == ("data-team",)
    assert config.recipients_of("releases") == ("data-team", "chat")  # default: every recipient
    assert config.rules_for("chat") == ("releases", "unanswered", "bus-factor", "py313", "stars", "stale")

    text = seed_csv(config)
    assert text.splitlines()[0] == ",".join(SEED_COLUMNS)
    rows = _seed_rows(text)
    assert list(rows) == sorted(rows)  # sorted by rule: the seed only changes when the rules do
    releases = rows["releases"]
    assert (releases["kind"], releases["scope_type"], releases["scope"]) == (
        "new_release",
        "group",
        "lakehouse",
    )
    assert (releases["source"], releases["include_prereleases"], releases["days"]) == ("any", "true", "3")
    fell = rows["iceberg-downloads-fell"]
    assert (fell["scope_type"], fell["scope"], fell["direction"]) == ("project", "iceberg", "drop")
    assert float(fell["threshold"]) == pytest.approx(0.2)  # percent -> ratio, as gold's changes
    unanswered = rows["unanswered"]
    assert (unanswered["scope_type"], unanswered["scope"]) == ("all", "")  # empty cell: null
    assert (unanswered["items"], unanswered["days"], unanswered["min_items"]) == ("issues", "7", "3")
    assert float(unanswered["threshold"]) == pytest.approx(0.5)
    assert float(rows["bus-factor"]["threshold"]) == 1
    assert (rows["py313"]["python_version"], rows["py313"]["direction"]) == ("3.13", "above")
    assert float(rows["py313"]["threshold"]) == pytest.approx(0.25)
    assert float(rows["stars"]["threshold"]) == 100
    assert (rows["stale"]["source"], float(rows["stale"]["threshold"])) == ("pypistats", 2.0)


def _error(text: str) -> str:
    with pytest.raises(AlertRulesError) as info:
        parse_alerts(text, TRACKED, "alerts.yml")
    return str(info.value)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (
            "rules:\n  - name: a\n    kind: new_relase\n",
            3,
            "unknown kind 'new_relase'; use one of new_release",
        ),
        ("rules:\n  - name: a\n    kind: stars_gained\n", 2, "stars_gained needs `more_than:`"),
        ("rules:\n  - name: a\n    kind: stars_gained\n    more_than: lots\n", 4, "whole number, not 'lots'"),
        (
            "rules:\n  - name: a\n    kind: downloads_change\n    threshold_pct: 20\n    project: icebreg\n",
            5,
            "project 'icebreg' is not in the tracked set (projects: delta, deltalake, iceberg)",
        ),
        (
            "rules:\n  - name: a\n    kind: absence_factor\n    group: nope\n    at_most: 1\n",
            4,
            "group 'nope'",
        ),
        (
            "rules:\n  - name: a\n    kind: downloads_change\n    threshold_pct: 20\n"
            "    group: github-only\n",
            5,
            "downloads_change is about package data and group 'github-only' has none",
        ),
        (
            "rules:\n  - name: a\n    kind: absence_factor\n    at_most: 1\n    treshold: 2\n",
            5,
            "`treshold` is not",
        ),
        (
            "rules:\n  - name: a\n    kind: data_stale\n    days: 1\n    project: iceberg\n",
            5,
            "remove `project:`",
        ),
        ("rules:\n  - name: a\n    kind: unanswered_share\n    threshold_pct: 120\n", 4, "between 0 and 100"),
        (
            "rules:\n  - name: a\n    kind: unanswered_share\n    threshold_pct: 20\n    after_days: 3\n",
            5,
            "use 1 or 7",
        ),
        (
            "rules:\n  - name: a\n    kind: python_version_share\n    threshold_pct: 5\n"
            "    python_version: 3.1x\n",
            5,
            "3.13",
        ),
        (
            "rules:\n  - name: a\n    kind: absence_factor\n    at_most: 1\n"
            "  - name: a\n    kind: absence_factor\n    at_most: 2\n",
            5,
            "used twice (first on line 2)",
        ),
        (
            "rules:\n  - name: a\n    kind: absence_factor\n    at_most: 1\n    notify: [ops]\n",
            5,
            "'ops', which is not a recipient",
        ),
        ("recipients:\n  ops: {email: [not-an-address]}\n", 2, "'not-an-address' is not an e-mail address"),
        ("recipients:\n  ops: {email: [a@b.org], webhook: true}\n", 2, "exactly one of"),
        ("rules:\n  - name: Bad Name\n    kind: absence_factor\n", 2, "must be lower-case"),
        ("rule:\n  - name: a\n", 1, "unknown section `rule`"),
        ("rules:\n  - name: a\n    kind: [absence_factor\n", 4, "invalid YAML"),
    ],
)
def test_a_mistake_names_its_line_and_what_to_change(text: str, line: int, words: str) -> None:
    message = _error(text)
    assert message.startswith(f"alerts.yml line {line}"), message
    assert words in message, message


def test_no_rule_file_means_no_rules_and_a_header_only_seed(tmp_path: Path) -> None:
    tracked = tmp_path / "tracked.yml"
    tracked.write_text(TRACKED_TEXT)
    config = load_alerts(tracked)
    assert config.rules == ()
    path = write_seed(config, tmp_path / "seeds")
    assert path.name == SEED
    assert path.read_text().splitlines() == [",".join(SEED_COLUMNS)]


def test_rules_come_from_alerts_yml_beside_the_tracked_set_or_its_alerts_section(tmp_path: Path) -> None:
    tracked = tmp_path / "tracked.yml"
    tracked.write_text(
        TRACKED_TEXT + "alerts:\n  rules:\n    - {name: stars, kind: stars_gained, more_than: 5}\n"
    )
    assert [r.name for r in load_alerts(tracked).rules] == ["stars"]
    assert load_alerts(tracked).rules[0].line == 12  # lines of the tracked set's file

    (tmp_path / "alerts.yml").write_text(RULES)
    with pytest.raises(AlertRulesError, match=r"tracked.yml line 10: alert rules are in two places"):
        load_alerts(tracked)

    tracked.write_text(TRACKED_TEXT)
    assert len(load_alerts(tracked).rules) == 7
    elsewhere = tmp_path / "team-alerts.yml"
    elsewhere.write_text("rules:\n  - {name: bus, kind: absence_factor, at_most: 2}\n")
    assert [r.name for r in load_alerts(tracked, str(elsewhere)).rules] == ["bus"]
    with pytest.raises(AlertRulesError, match="no such file; create it or unset OSSPULSE_ALERT_RULES"):
        load_alerts(tracked, str(tmp_path / "missing.yml"))


def test_dbt_prepare_writes_the_rules_seed_and_stops_on_a_mistake(tmp_path: Path) -> None:
    """The rules reach dbt as a seed written before every dbt run; a bad rule file stops the run there."""
    tracked = tmp_path / "tracked.yml"
    tracked.write_text(TRACKED_TEXT)
    (tmp_path / "alerts.yml").write_text(RULES)
    settings = Settings.model_construct(tracked=tracked, alert_rules="")
    target = DbtTarget(workdir=tmp_path / "work")
    prepare(settings, target)
    assert set(_seed_rows((target.seed_dir / SEED).read_text())) == {
        "releases",
        "iceberg-downloads-fell",
        "unanswered",
        "bus-factor",
        "py313",
        "stars",
        "stale",
    }
    (tmp_path / "alerts.yml").write_text("rules:\n  - name: a\n    kind: stars_gained\n    more_than: -1\n")
    with pytest.raises(
        AlertRulesError, match=r"alerts.yml line 4: rule 'a': more_than is -1; it must be at least 0"
    ):
        prepare(settings, target)


def test_the_shipped_rule_file_is_valid() -> None:
    config = load_alerts(Path(__file__).parents[2] / "config" / "tracked.yml")  # config/alerts.yml beside it
    assert {r.kind for r in config.rules} == {
        "new_release",
        "downloads_change",
        "unanswered_share",
        "absence_factor",
        "python_version_share",
        "stars_gained",
        "data_stale",
    }


def test_the_cli_check_names_the_line_of_a_mistake(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    bad = tmp_path / "alerts.yml"
    bad.write_text("rules:\n  - name: x\n    kind: stars_gained\n    more_than: many\n")
    env = {**os.environ, "OSSPULSE_ALERT_RULES": str(bad)}
    proc = subprocess.run(
        [sys.executable, "-m", "osspulse.cli", "alerts", "check"], env=env, capture_output=True, text=True
    )
    assert proc.returncode == 1
    assert f"{bad} line 4: rule 'x': more_than must be a whole number, not 'many'" in proc.stderr
    assert "Traceback" not in proc.stderr
