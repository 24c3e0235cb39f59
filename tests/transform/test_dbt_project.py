"""The dbt project's own rules, checked on the parsed manifest (``dbt parse``: no database needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from osspulse.settings import Settings
from osspulse.transform.dbt import DbtTarget, run_dbt

#: gold models are the interface analysts and the dashboard rely on
GOLD_MODELS = {
    "repo_activity_daily",
    "repo_activity_weekly",
    "repo_activity_monthly",
    "top_contributors",
    "issue_responsiveness_monthly",
    "contributor_absence_factor",
    "repo_snapshot_history",
    "package_downloads_daily",
    "package_downloads_monthly",
    "python_version_adoption_monthly",
    "os_share_monthly",
    "release_cadence",
    "project_comparison_monthly",
    "data_health_sources",
}
#: metric models whose logic has dbt unit tests with given / expect rows
METRIC_MODELS = GOLD_MODELS - {"data_health_sources"}


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


def test_the_gold_interface_exists_in_the_gold_folder(manifest: dict) -> None:
    models = _models(manifest)
    assert GOLD_MODELS <= set(models)
    for name in GOLD_MODELS:
        assert models[name]["fqn"][1] == "gold", name
        assert models[name]["config"]["schema"] == "gold"


def test_every_model_and_every_gold_column_is_described(manifest: dict) -> None:
    for name, node in _models(manifest).items():
        assert node["description"].strip(), f"{name} has no description"
        if name in GOLD_MODELS:
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
    unit_tests = manifest.get("unit_tests", {}).values()
    covered = {u["model"] for u in unit_tests}
    missing = METRIC_MODELS - covered
    assert not missing, f"metric models without dbt unit tests: {sorted(missing)}"


def test_source_is_only_used_in_bronze(manifest: dict) -> None:
    for name, node in _models(manifest).items():
        if node["depends_on"]["nodes"] and node["fqn"][1] != "bronze":
            sources = [d for d in node["depends_on"]["nodes"] if d.startswith("source.")]
            assert not sources, f"{name} reads a source outside bronze: {sources}"


def test_sources_declare_freshness(manifest: dict) -> None:
    for source in manifest["sources"].values():
        if source["source_name"] == "ops":  # operational tables the pipeline writes itself: no freshness
            continue
        assert source["loaded_at_field"] == "fetched_at", source["name"]
        assert source["freshness"]["error_after"]["count"], source["name"]
