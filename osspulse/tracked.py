"""The tracked set: which GitHub repositories and PyPI packages OSS Pulse follows.

The file (default ``config/tracked.yml``, setting ``OSSPULSE_TRACKED``) has at least this shape; other
top-level keys are allowed and ignored::

    repos: [owner/name, ...]
    packages: [name, ...]
    projects: {name: {repo: owner/name, package: name}}   # repo or package may be left out
    groups: {name: [project, ...]}

Every problem is reported with the file, the line and what to change (:class:`TrackedError`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from osspulse.settings import Settings

# GitHub: owner 1-39 chars of alphanumerics and single hyphens; repository names of [A-Za-z0-9._-],
# except `.` and `..` (path segments: `owner/..` would name another API path)
REPO_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/(?!\.\.?$)[A-Za-z0-9._-]{1,100}$")
# PyPI (PEP 508 names): letters, digits, and . _ - inside
PACKAGE_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class TrackedError(ValueError):
    """tracked.yml is invalid; the message names the file, the line and the problem."""


@dataclass(frozen=True)
class Project:
    name: str
    repo: str | None = None
    package: str | None = None


@dataclass(frozen=True)
class Tracked:
    repos: tuple[str, ...] = ()
    packages: tuple[str, ...] = ()
    projects: dict[str, Project] = field(default_factory=dict)
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    source: str = "<memory>"

    def to_dict(self) -> dict[str, object]:
        """The YAML shape (``yaml.safe_dump(tracked.to_dict())`` writes a valid file)."""
        projects: dict[str, dict[str, str]] = {}
        for name, p in self.projects.items():
            projects[name] = {k: v for k, v in (("repo", p.repo), ("package", p.package)) if v}
        return {
            "repos": list(self.repos),
            "packages": list(self.packages),
            "projects": projects,
            "groups": {k: list(v) for k, v in self.groups.items()},
        }


def _where(source: str, node: yaml.Node) -> str:
    return f"{source} line {node.start_mark.line + 1}"


def _fail(source: str, node: yaml.Node, problem: str) -> TrackedError:
    return TrackedError(f"{_where(source, node)}: {problem}")


def _mapping_items(node: yaml.MappingNode) -> list[tuple[yaml.Node, yaml.Node]]:
    return list(node.value)


def _scalar(source: str, node: yaml.Node, what: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:null" or node.value == "":
        raise _fail(source, node, f"{what} must be a non-empty string")
    return str(node.value)


def _string_list(
    source: str, node: yaml.Node, what: str, pattern: re.Pattern[str], example: str
) -> list[str]:
    if not isinstance(node, yaml.SequenceNode):
        raise _fail(source, node, f"`{what}` must be a list, e.g. {what}: [{example}]")
    values: list[str] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(node.value):
        value = _scalar(source, item, f"{what}[{i}]")
        if not pattern.match(value):
            raise _fail(source, item, f"{what}[{i}] {value!r} is not a valid name (e.g. {example})")
        folded = value.lower()
        if folded in seen:
            raise _fail(source, item, f"{what}[{i}] {value!r} is listed twice (first on line {seen[folded]})")
        seen[folded] = item.start_mark.line + 1
        values.append(value)
    return values


def parse_tracked(text: str, source: str = "<memory>") -> Tracked:
    """Parse and validate the YAML text of a tracked set."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{source} line {mark.line + 1} column {mark.column + 1}" if mark else source
        raise TrackedError(f"{where}: invalid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise TrackedError(f"{source}: invalid YAML: {exc}") from None
    if root is None:
        raise TrackedError(f"{source}: the file is empty; it needs at least `repos:` or `packages:`")
    if not isinstance(root, yaml.MappingNode):
        raise _fail(source, root, "the top level must be a mapping with repos, packages, projects, groups")

    sections: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key_node, value_node in _mapping_items(root):
        key = _scalar(source, key_node, "a top-level key")
        if key in sections:
            raise _fail(source, key_node, f"`{key}` appears twice")
        sections[key] = (key_node, value_node)
    if "repos" not in sections and "packages" not in sections:
        raise _fail(source, root, "nothing to track: add `repos:` and/or `packages:`")

    def section(name: str) -> yaml.Node | None:
        if name not in sections:
            return None
        key_node, value_node = sections[name]
        if value_node.tag == "tag:yaml.org,2002:null":
            raise _fail(source, key_node, f"`{name}` is empty; remove it or give it a value")
        return value_node

    repos_node, packages_node = section("repos"), section("packages")
    repos = _string_list(source, repos_node, "repos", REPO_RE, "apache/iceberg") if repos_node else []
    packages = (
        _string_list(source, packages_node, "packages", PACKAGE_RE, "pyiceberg") if packages_node else []
    )
    repo_set = {r.lower(): r for r in repos}
    package_set = {p.lower(): p for p in packages}

    projects: dict[str, Project] = {}
    projects_node = section("projects")
    if projects_node is not None:
        if not isinstance(projects_node, yaml.MappingNode):
            raise _fail(
                source, projects_node, "`projects` must be a mapping {name: {repo: ..., package: ...}}"
            )
        for name_node, body in _mapping_items(projects_node):
            name = _scalar(source, name_node, "a project name")
            if not NAME_RE.match(name):
                raise _fail(source, name_node, f"project name {name!r} must be letters, digits, . _ -")
            if name in projects:
                raise _fail(source, name_node, f"project {name!r} is defined twice")
            if not isinstance(body, yaml.MappingNode):
                raise _fail(
                    source, body, f"project {name!r} must be a mapping {{repo: owner/name, package: name}}"
                )
            fields: dict[str, str] = {}
            for fkey_node, fvalue_node in _mapping_items(body):
                fkey = _scalar(source, fkey_node, f"a key of project {name!r}")
                if fkey not in ("repo", "package"):
                    continue  # more keys are allowed (e.g. description)
                fields[fkey] = _scalar(source, fvalue_node, f"projects.{name}.{fkey}")
                if fkey == "repo" and fields[fkey].lower() not in repo_set:
                    raise _fail(
                        source,
                        fvalue_node,
                        f"project {name!r} names repo {fields[fkey]!r}, which is not in `repos`",
                    )
                if fkey == "package" and fields[fkey].lower() not in package_set:
                    raise _fail(
                        source,
                        fvalue_node,
                        f"project {name!r} names package {fields[fkey]!r}, which is not in `packages`",
                    )
            if not fields:
                raise _fail(source, body, f"project {name!r} needs a `repo:` and/or a `package:`")
            repo = repo_set[fields["repo"].lower()] if "repo" in fields else None
            package = package_set[fields["package"].lower()] if "package" in fields else None
            projects[name] = Project(name, repo, package)

    groups: dict[str, tuple[str, ...]] = {}
    groups_node = section("groups")
    if groups_node is not None:
        if not isinstance(groups_node, yaml.MappingNode):
            raise _fail(source, groups_node, "`groups` must be a mapping {name: [project, ...]}")
        for name_node, members_node in _mapping_items(groups_node):
            name = _scalar(source, name_node, "a group name")
            if name in groups:
                raise _fail(source, name_node, f"group {name!r} is defined twice")
            if not isinstance(members_node, yaml.SequenceNode):
                raise _fail(source, members_node, f"group {name!r} must be a list of project names")
            members = []
            for i, member_node in enumerate(members_node.value):
                member = _scalar(source, member_node, f"groups.{name}[{i}]")
                if member not in projects:
                    raise _fail(
                        source,
                        member_node,
                        f"group {name!r} names project {member!r}, which is not in `projects`",
                    )
                members.append(member)
            groups[name] = tuple(members)

    return Tracked(tuple(repos), tuple(packages), projects, groups, source)


def load_tracked(path: Path | str) -> Tracked:
    """Read and validate a tracked.yml file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TrackedError(f"{path}: no such file; create it or point OSSPULSE_TRACKED at one") from None
    return parse_tracked(text, str(path))


def tracked_from_settings(settings: Settings) -> Tracked:
    return load_tracked(settings.tracked)
