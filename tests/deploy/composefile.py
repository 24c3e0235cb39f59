"""Reading docker-compose.yml as Compose does, for tests that have no Docker engine.

Compose's own rules, in the small part this project uses: YAML merge keys (``<<``), the ``!reset`` and
``!override`` tags of override files, ``$``-interpolation from the ``.env`` file (``${VAR}``,
``${VAR:-default}``, ``${VAR-default}``, ``${VAR:?error}``, ``${VAR?error}``, ``${VAR:+alt}``, ``$$``) and
``env_file`` under ``environment``. ``compose-spec.json`` beside this file is the Compose Specification's
JSON schema, copied from github.com/compose-spec/compose-go v2.14.0 (schema/compose-spec.json, Apache-2.0),
the loader of Docker Compose v5.4.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from osspulse.settings import REPO_ROOT, Settings

COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
EXTERNAL_FILE = REPO_ROOT / "docker" / "compose.external.yml"
DEMO_FILE = REPO_ROOT / "docker" / "compose.demo.yml"
TEMPLATE = REPO_ROOT / ".env.template"
SCHEMA = Path(__file__).with_name("compose-spec.json")

_VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
    r"|(?P<named>[A-Za-z_][A-Za-z0-9_]*))"
)


class MissingVariable(ValueError):
    """A ``${VAR:?message}`` whose variable is unset (or empty): Compose stops with the message."""


class Reset:
    """``!reset``: drop the value of the files before."""


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_constructor("!reset", lambda loader, node: Reset())
_Loader.add_constructor(
    "!override",
    lambda loader, node: (
        loader.construct_mapping(node, deep=True)
        if isinstance(node, yaml.MappingNode)
        else loader.construct_sequence(node, deep=True)
    ),
)


def load(path: Path = COMPOSE_FILE) -> dict[str, Any]:
    """The YAML document with merge keys applied (not interpolated)."""
    return yaml.load(path.read_text(), Loader=_Loader)  # noqa: S506 - a SafeLoader subclass


def dotenv(path: Path = TEMPLATE) -> dict[str, str]:
    """KEY=VALUE lines as Compose reads a .env file (this project's files have no quotes or exports)."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def interpolate_string(text: str, env: Mapping[str, str]) -> str:
    def substitute(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name = match["braced"] or match["named"]
        value, op, arg = env.get(name), match["op"], match["arg"]
        empty_is_unset = bool(op) and op.startswith(":")
        is_set = value is not None and (value != "" or not empty_is_unset)
        kind = op[-1] if op else ""
        if kind == "-":
            return value if is_set else arg
        if kind == "?":
            if not is_set:
                raise MissingVariable(f"required variable {name} is missing a value: {arg}")
            return value
        if kind == "+":
            return arg if is_set else ""
        return value or ""

    return _VARIABLE.sub(substitute, text)


def interpolate(node: Any, env: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate_string(node, env)
    if isinstance(node, dict):
        return {key: interpolate(value, env) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolate(value, env) for value in node]
    return node


def variables(node: Any) -> list[tuple[str, str | None, str | None]]:
    """Every (name, operator, argument) referenced anywhere in ``node``."""
    found = []
    if isinstance(node, str):
        for match in _VARIABLE.finditer(node):
            if not match["escaped"]:
                found.append((match["braced"] or match["named"], match["op"], match["arg"]))
    elif isinstance(node, dict):
        for value in node.values():
            found += variables(value)
    elif isinstance(node, list):
        for value in node:
            found += variables(value)
    return found


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Compose's merge of an override file, for the keys this project's override uses."""
    result = dict(base)
    for key, value in override.items():
        if isinstance(value, Reset):
            result.pop(key, None)
        elif isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge(result[key], value)
        else:
            result[key] = value
    return result


def resolved(env: Mapping[str, str] | None = None, *files: Path) -> dict[str, Any]:
    """The project as ``docker compose config`` shows it: merged, interpolated, env_file under environment."""
    env = dotenv() if env is None else env
    document: dict[str, Any] = {}
    for path in files or (COMPOSE_FILE,):
        document = merge(document, load(path))
    project = interpolate(document, env)
    for service in project["services"].values():
        if "env_file" in service:
            service["environment"] = {**env, **service.get("environment", {})}
    return project


def app_services(project: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The services of the app image (built from docker/osspulse/Dockerfile)."""
    return {
        name: svc
        for name, svc in project["services"].items()
        if svc.get("build", {}).get("dockerfile") == "docker/osspulse/Dockerfile"
    }


def is_one_shot(service: Mapping[str, Any]) -> bool:
    return service.get("restart") == "no"


def settings_for(environment: Mapping[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The Settings a process sees with exactly this environment (as ``get_settings()`` in the container)."""
    for key in list(os.environ):
        if key.startswith("OSSPULSE_") or key == "GITHUB_TOKEN":
            monkeypatch.delenv(key)
    for key, value in environment.items():
        monkeypatch.setenv(key, str(value))
    return Settings(_env_file=None)


def env_name(field: str) -> str:
    return "GITHUB_TOKEN" if field == "github_token" else f"OSSPULSE_{field.upper()}"


def schema() -> dict[str, Any]:
    return json.loads(SCHEMA.read_text())
