"""What the dbt project declares about its gold layer: one source for every list of gold tables.

The gold models are read from dbt's manifest (``dbt_project/target/manifest.json``, which any dbt
command writes; ``osspulse stack up`` and the transform keep it current). When the manifest is missing
or older than the project's files, the same declarations are read from the models' yml files (one yml
beside each model), so a dashboard or a test never needs dbt to know the gold tables.

Each gold model declares in its yml:

* ``config.tags``: ``metric`` (a metric table analysts and the dashboard read; the fault suite compares
  them between runs) or ``data_health`` (views of the pipeline's own state);
* ``config.meta.empty_without``: the raw entities whose rows the model is built from (or
  ``tracked_projects``: the projects of tracked.yml); the model may be legitimately empty only when all
  of them are (no issues tracked, repositories without releases, a packages-only tracked set).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from osspulse.settings import REPO_ROOT

PROJECT_DIR = REPO_ROOT / "dbt_project"
GOLD_DIR = PROJECT_DIR / "models" / "gold"
MANIFEST = PROJECT_DIR / "target" / "manifest.json"


@dataclass(frozen=True)
class GoldModel:
    name: str
    tags: tuple[str, ...]
    #: raw entities; the model may be empty only when every one of them is
    empty_without: tuple[str, ...]
    columns: tuple[str, ...]

    @property
    def is_metric(self) -> bool:
        return "metric" in self.tags


def _manifest_is_current(manifest: Path, project_dir: Path) -> bool:
    if not manifest.exists():
        return False
    sources = [project_dir / "dbt_project.yml", *(project_dir / "models").rglob("*.*")]
    newest = max((p.stat().st_mtime for p in sources if p.is_file()), default=0.0)
    return manifest.stat().st_mtime >= newest


def _from_manifest(manifest: Path) -> dict[str, GoldModel]:
    nodes = json.loads(manifest.read_text(encoding="utf-8"))["nodes"].values()
    models = {}
    for node in nodes:
        if node["resource_type"] != "model" or node["fqn"][1] != "gold":
            continue
        config = node.get("config", {})
        models[node["name"]] = GoldModel(
            node["name"],
            tuple(config.get("tags", [])),
            tuple((config.get("meta") or {}).get("empty_without", [])),
            tuple(node.get("columns", {})),
        )
    return models


def _from_yml(gold_dir: Path) -> dict[str, GoldModel]:
    models = {}
    for path in sorted(gold_dir.glob("*.yml")):
        for spec in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models", []):
            config = spec.get("config", {})
            models[spec["name"]] = GoldModel(
                spec["name"],
                tuple(config.get("tags", [])),
                tuple((config.get("meta") or {}).get("empty_without", [])),
                tuple(c["name"] for c in spec.get("columns", [])),
            )
    sql_models = {p.stem for p in gold_dir.glob("*.sql")}
    if set(models) != sql_models:
        raise RuntimeError(
            f"every gold model needs a yml beside it: models {sorted(sql_models)}, yml {sorted(models)}"
        )
    return models


@lru_cache(maxsize=4)
def gold_models(project_dir: Path = PROJECT_DIR) -> dict[str, GoldModel]:
    """The gold models by name (from the manifest when it is current, else from the yml files)."""
    manifest = project_dir / "target" / "manifest.json"
    if _manifest_is_current(manifest, project_dir):
        return _from_manifest(manifest)
    return _from_yml(project_dir / "models" / "gold")


def gold_tables(kind: str | None = None) -> tuple[str, ...]:
    """Names of the gold models, all of them or one kind: ``metric`` or ``data_health``."""
    return tuple(sorted(n for n, m in gold_models().items() if kind is None or kind in m.tags))
