"""The dbt project's own rules, checked on the parsed manifest (``dbt parse``: no database needed)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from osspulse.entities import ENTITIES
from osspulse.settings import Settings
from osspulse.transform import project
from osspulse.transform.dbt import PROJECT_DIR, DbtTarget, run_dbt


@pytest.fixture(scope="module")
def manifest(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> dict:
    workdir = tmp_path_factory.mktemp("dbt-parse")
    run_dbt(settings, ["parse"], DbtTarget(workdir=workdir), capture=True, check=True)
    return json.loads((Path(workdir) / "target" / "manifest.json").read_text())


def _models(manifest: dict) -> dict[str, dict]:
    return {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}


def _tests_on(manifest: dict, model_id: str) -> list[dict]:
    return [
        n
        for n in manifest["nodes"].values()
        if n["resource_type"] == "test"
        and model_id in n.get("depends_on", {}).get("nodes", [])
        and n.get("attached_node") == model_id
    ]


def test_the_gold_list_is_what_the_manifest_declares(manifest: dict, tmp_path: Path) -> None:
    """One source for the gold tables: osspulse.transform.project reads the manifest, or the yml files
    when there is no current manifest -- both give the same models, tags and emptiness rules."""
    gold = {name: node for name, node in _models(manifest).items() if node["fqn"][1] == "gold"}
    manifest_path = tmp_path / "target" / "manifest.json"
    manifest_path.parent.mkdir()
    manifest_path.write_text(json.dumps(manifest))
    from_manifest = project._from_manifest(manifest_path)
    from_yml = project._from_yml(project.GOLD_DIR)
    assert set(from_manifest) == set(from_yml) == set(gold)
    for name in gold:
        assert from_manifest[name] == from_yml[name], name
        tags = from_manifest[name].tags
        assert tags in (("metric",), ("data_health",), ("alerts",)), (
            f"{name}: tag it metric, data_health or alerts"
        )
    assert set(project.gold_tables()) == set(gold)


def test_every_metric_table_says_when_it_may_be_empty(manifest: dict) -> None:
    entities = {e.name for e in ENTITIES} | {"tracked_projects"}
    for name, model in project.gold_models().items():
        if model.is_metric:
            assert model.empty_without, f"{name}: config.meta.empty_without is missing"
            assert set(model.empty_without) <= entities, f"{name}: unknown entities {model.empty_without}"


def test_every_model_has_its_own_yml_and_every_gold_column_is_described(manifest: dict) -> None:
    for name, node in _models(manifest).items():
        assert node["description"].strip(), f"{name} has no description"
        assert Path(node["patch_path"].split("://")[-1]).name == f"{name}.yml", f"{name}: yml beside it"
        if node["fqn"][1] == "gold":
            undocumented = [
                c for c, spec in node["columns"].items() if not spec.get("description", "").strip()
            ]
            assert not undocumented, f"{name}: columns without a description: {undocumented}"


def test_every_model_has_unique_and_not_null_tests_on_its_key(manifest: dict) -> None:
    for name, node in _models(manifest).items():
        tests = _tests_on(manifest, node["unique_id"])
        kinds = {t["test_metadata"]["name"] for t in tests if t.get("test_metadata")}
        assert kinds & {"unique", "unique_combination"}, f"{name} has no unique key test"
        if "unique_combination" in kinds:
            key = next(
                t["test_metadata"]["kwargs"]["columns"]
                for t in tests
                if t.get("test_metadata", {}).get("name") == "unique_combination"
            )
        else:
            key = [t["column_name"] for t in tests if t.get("test_metadata", {}).get("name") == "unique"]
        not_null = {t["column_name"] for t in tests if t.get("test_metadata", {}).get("name") == "not_null"}
        assert set(key) <= not_null, f"{name}: key columns {key} lack not_null tests"


def test_every_metric_model_has_a_unit_test(manifest: dict) -> None:
    covered = {u["model"] for u in manifest.get("unit_tests", {}).values()}
    missing = set(project.gold_tables("metric")) - covered
    assert not missing, f"metric models without dbt unit tests: {sorted(missing)}"


def test_source_is_only_used_in_bronze(manifest: dict) -> None:
    for name, node in _models(manifest).items():
        if node["depends_on"]["nodes"] and node["fqn"][1] != "bronze":
            sources = [d for d in node["depends_on"]["nodes"] if d.startswith("source.")]
            assert not sources, f"{name} reads a source outside bronze: {sources}"


def test_sources_bronze_models_and_the_entity_macro_follow_entities_py(manifest: dict) -> None:
    """osspulse/entities.py is the contract: a raw source, a bronze model of the same name and an
    entry of macros/raw_entities.sql per entity (and nothing else)."""
    entities = {e.name: e.source for e in ENTITIES}
    raw_sources = {s["name"] for s in manifest["sources"].values() if s["source_name"] == "raw"}
    assert raw_sources == set(entities)
    bronze = {n for n, node in _models(manifest).items() if node["fqn"][1] == "bronze"}
    assert set(entities) <= bronze
    macro = (PROJECT_DIR / "macros" / "raw_entities.sql").read_text()
    listed = dict(re.findall(r"'name': '([a-z_]+)', 'system': '([a-z]+)'", macro))
    assert listed == entities


def test_bronze_reads_every_contract_column(manifest: dict) -> None:
    """Every raw column an entity declares reaches its bronze model (keys, typed columns, tombstone)."""
    for entity in ENTITIES:
        sql = (PROJECT_DIR / "models" / "bronze" / f"{entity.name}.sql").read_text()
        skipped = {"payload", "message", "issue_url", "pull_request_url", "comments", "name", "draft"}
        skipped |= {"prerelease", "archived", "yanked", "pull_request_review_id"}
        missing = [c for c, _ in entity.raw_columns() if c not in skipped and not re.search(rf"\b{c}\b", sql)]
        assert not missing, f"bronze.{entity.name} ignores raw columns {missing}"


def test_sources_freshness_is_the_time_since_the_last_load(manifest: dict) -> None:
    for source in manifest["sources"].values():
        if source["source_name"] == "ops":  # operational tables the pipeline writes itself: no freshness
            continue
        assert "load_audit" in (source.get("loaded_at_query") or ""), source["name"]
        assert source["freshness"]["error_after"]["count"], source["name"]


def test_the_ops_source_columns_are_the_tables_the_pipeline_writes(manifest: dict) -> None:
    """Python and Spark write lake.ops (osspulse/lake/ops.py); dbt declares the same tables and columns."""
    from osspulse.lake import ops

    declared = {
        source["name"]: [(name, spec["data_type"]) for name, spec in source["columns"].items()]
        for source in manifest["sources"].values()
        if source["source_name"] == "ops"
    }
    assert declared == {table.name: table.trino_columns() for table in ops.TABLES}


def test_models_declare_their_lineage_in_sql_not_in_comments() -> None:
    for path in (PROJECT_DIR / "models").rglob("*.sql"):
        assert "depends_on" not in path.read_text(), f"{path.name}: a -- depends_on comment"


def test_docs_metrics_md_defines_every_gold_column() -> None:
    """Every column of every gold model appears (as `code`) in docs/metrics.md."""
    text = (PROJECT_DIR.parent / "docs" / "metrics.md").read_text(encoding="utf-8")
    named = set(re.findall(r"[a-z0-9_]+", " ".join(re.findall(r"`([^`]+)`", text))))
    missing = {
        f"{name}.{column}"
        for name, model in project.gold_models().items()
        for column in model.columns
        if column not in named
    }
    assert not missing, f"docs/metrics.md does not define: {sorted(missing)}"
    undocumented_models = [name for name in project.gold_models() if f"`{name}`" not in text]
    assert not undocumented_models, undocumented_models
