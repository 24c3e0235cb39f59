"""tracked.yml: the default set loads; every mistake is reported with its line and what to change."""

from __future__ import annotations

import pytest

from osspulse.settings import REPO_ROOT, Settings
from osspulse.tracked import TrackedError, load_tracked, parse_tracked, tracked_from_settings


def test_the_default_tracked_set():
    tracked = load_tracked(REPO_ROOT / "config" / "tracked.yml")
    assert tracked.repos == ("apache/iceberg", "apache/hudi", "delta-io/delta", "apache/iceberg-python")
    assert tracked.packages == ("pyiceberg", "delta-spark", "hudi", "deltalake")
    assert tracked.projects["pyiceberg"].repo == "apache/iceberg-python"
    assert tracked.projects["pyiceberg"].package == "pyiceberg"
    assert tracked.projects["deltalake"].repo is None
    assert all(m in tracked.projects for members in tracked.groups.values() for m in members)
    assert tracked_from_settings(Settings(_env_file=None)) == tracked


def test_round_trip_and_extra_keys():
    text = (
        "description: mine\nrepos: [a/b]\npackages: [p]\nprojects:\n  x: {repo: a/b, package: p, note: hi}\n"
    )
    tracked = parse_tracked(text)
    again = parse_tracked(__import__("yaml").safe_dump(tracked.to_dict()))
    assert again.repos == tracked.repos and again.projects == tracked.projects


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("repos: [apache iceberg]\n", "t.yml line 1: repos[0] 'apache iceberg' is not a valid name"),
        ("repos:\n  - a/b\n  - A/B\n", "t.yml line 3: repos[1] 'A/B' is listed twice (first on line 2)"),
        (
            "repos: [a/b]\nprojects:\n  x: {repo: c/d}\n",
            "t.yml line 3: project 'x' names repo 'c/d', which is not",
        ),
        ("packages: [p]\nprojects:\n  x: {package: q}\n", "line 3: project 'x' names package 'q'"),
        ("repos: [a/b]\nprojects:\n  x: {}\n", "line 3: project 'x' needs a `repo:` and/or a `package:`"),
        (
            "repos: [a/b]\nprojects:\n  x: {repo: a/b}\ngroups:\n  g: [x, y]\n",
            "line 5: group 'g' names project 'y'",
        ),
        ("repos: [a/b\n", "t.yml line 2 column 1: invalid YAML"),
        ("repos:\n  - a/b\n key: [\n", "invalid YAML"),
        ("foo: 1\n", "t.yml line 1: nothing to track"),
        ("", "t.yml: the file is empty"),
        ("- a/b\n", "the top level must be a mapping"),
        ("repos: a/b\n", "line 1: `repos` must be a list"),
        ("repos:\n", "line 1: `repos` is empty"),
        ("repos: [a/b]\nrepos: [c/d]\n", "line 2: `repos` appears twice"),
        ("packages: [ok, 'bad name!']\n", "packages[1] 'bad name!' is not a valid name"),
        # path segments, not names: `owner/..` would reach another API path
        ("repos: [a/b, a/..]\n", "repos[1] 'a/..' is not a valid name"),
        ("repos: [a/.]\n", "repos[0] 'a/.' is not a valid name"),
    ],
)
def test_mistakes_name_the_line_and_the_problem(text, message):
    with pytest.raises(TrackedError) as info:
        parse_tracked(text, "t.yml")
    assert message in str(info.value)


def test_a_missing_file_says_what_to_do(tmp_path):
    with pytest.raises(TrackedError, match="no such file; create it or point OSSPULSE_TRACKED"):
        load_tracked(tmp_path / "nope.yml")
