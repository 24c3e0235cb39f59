"""tracked.yml -> dbt seed files."""

from __future__ import annotations

from pathlib import Path

from osspulse.tracked import parse_tracked
from osspulse.transform.seeds import GROUPS_SEED, PROJECTS_SEED, seed_files, write_seeds

TRACKED = """
repos: [apache/iceberg, delta-io/delta]
packages: [pyiceberg, deltalake]
projects:
  iceberg: {repo: apache/iceberg, package: pyiceberg}
  deltalake: {package: deltalake}
  delta: {repo: delta-io/delta}
groups:
  lakehouse: [iceberg, delta, deltalake]
  python: [iceberg]
"""


def test_seed_files_list_projects_and_groups_sorted_with_blank_missing_sides() -> None:
    files = seed_files(parse_tracked(TRACKED))
    assert files[PROJECTS_SEED].splitlines() == [
        "project,repo,package",
        "delta,delta-io/delta,",
        "deltalake,,deltalake",
        "iceberg,apache/iceberg,pyiceberg",
    ]
    assert files[GROUPS_SEED].splitlines() == [
        "group_name,project",
        "lakehouse,delta",
        "lakehouse,deltalake",
        "lakehouse,iceberg",
        "python,iceberg",
    ]


def test_seed_files_of_a_tracked_set_without_projects_have_headers_only() -> None:
    files = seed_files(parse_tracked("repos: [apache/iceberg]\n"))
    assert files == {PROJECTS_SEED: "project,repo,package\n", GROUPS_SEED: "group_name,project\n"}


def test_write_seeds_writes_and_rewrites_in_place(tmp_path: Path) -> None:
    seed_dir = tmp_path / "seeds"
    paths = write_seeds(parse_tracked(TRACKED), seed_dir)
    assert sorted(p.name for p in paths) == sorted([PROJECTS_SEED, GROUPS_SEED])
    assert "iceberg,apache/iceberg,pyiceberg" in (seed_dir / PROJECTS_SEED).read_text()

    write_seeds(parse_tracked("packages: [pyiceberg]\nprojects: {py: {package: pyiceberg}}\n"), seed_dir)
    assert (seed_dir / PROJECTS_SEED).read_text() == "project,repo,package\npy,,pyiceberg\n"
    assert not list(seed_dir.glob(".*.tmp"))
