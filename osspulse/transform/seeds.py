"""tracked.yml as dbt seeds: the project -> repo/package mapping and the comparison groups.

The gold model ``project_comparison_monthly`` needs to know which repository and which package make a
project. tracked.yml is the single place that says so, and it changes without any code change, so the
seeds are *generated* from it before every dbt invocation (``osspulse dbt`` does it) rather than
committed: ``tracked_projects.csv`` (project, repo, package) and ``tracked_project_groups.csv``
(group_name, project). A seed (rather than a dbt var) keeps the mapping visible in the warehouse
(``lake.bronze.tracked_projects``), testable (unique / not_null / relationships) and joinable.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from osspulse.tracked import Tracked

PROJECTS_SEED = "tracked_projects.csv"
GROUPS_SEED = "tracked_project_groups.csv"


def seed_files(tracked: Tracked) -> dict[str, str]:
    """The CSV text of each seed file, by file name (projects sorted by name, groups by name, member)."""
    projects = io.StringIO()
    writer = csv.writer(projects, lineterminator="\n")
    writer.writerow(["project", "repo", "package"])
    for name in sorted(tracked.projects):
        project = tracked.projects[name]
        writer.writerow([name, project.repo or "", project.package or ""])

    groups = io.StringIO()
    writer = csv.writer(groups, lineterminator="\n")
    writer.writerow(["group_name", "project"])
    for group in sorted(tracked.groups):
        for member in sorted(set(tracked.groups[group])):
            writer.writerow([group, member])
    return {PROJECTS_SEED: projects.getvalue(), GROUPS_SEED: groups.getvalue()}


def write_seeds(tracked: Tracked, seed_dir: Path) -> list[Path]:
    """Write the seed files into ``seed_dir`` (atomically, so a concurrent dbt never reads half a file)."""
    seed_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in seed_files(tracked).items():
        path = seed_dir / name
        if path.exists() and path.read_text(encoding="utf-8") == text:
            written.append(path)
            continue
        tmp = path.with_name(f".{name}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        written.append(path)
    return written
