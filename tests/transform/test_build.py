"""The transform's one dbt build (osspulse/transform/build.py): which models a stale source holds back, what
counts as failed, and which failures a retry cannot mend. Hand-made manifests and dbt artifacts."""

from __future__ import annotations

from pathlib import Path

import pytest

from osspulse.transform.build import BuildReport, failed_nodes, held_back

A, B = "source.osspulse.raw.a", "source.osspulse.raw.b"


def model(*inputs: str) -> dict:
    return {"resource_type": "model", "depends_on": {"nodes": list(inputs)}}


MANIFEST = {
    "nodes": {
        "model.osspulse.only_a": model(A),
        "model.osspulse.a_and_b": model(A, B),
        "model.osspulse.reads_only_a": model("model.osspulse.only_a"),
        "model.osspulse.reads_only_a_and_a_and_b": model("model.osspulse.only_a", "model.osspulse.a_and_b"),
        "model.osspulse.two_steps_from_a": model("model.osspulse.reads_only_a"),
        "model.osspulse.from_a_seed": model("seed.osspulse.tracked_repos"),
        "model.osspulse.no_input": model(),
        "test.osspulse.not_null_only_a_x": {
            "resource_type": "test",
            "depends_on": {"nodes": ["model.osspulse.only_a"]},
        },
    }
}


def freshness(**status: str) -> dict:
    return {"results": [{"unique_id": f"source.osspulse.raw.{k}", "status": v} for k, v in status.items()]}


def test_a_stale_source_holds_back_what_reads_nothing_else_transitively():
    assert held_back(MANIFEST, freshness(a="error", b="pass")) == [
        "model.osspulse.only_a",
        "model.osspulse.reads_only_a",
        "model.osspulse.two_steps_from_a",
    ]


@pytest.mark.parametrize("status", ["pass", "warn", "runtime error"])
def test_a_warning_or_a_source_never_loaded_holds_back_nothing(status):
    assert held_back(MANIFEST, freshness(a=status, b=status)) == []


def test_every_source_stale_holds_back_every_model_that_reads_them():
    assert held_back(MANIFEST, freshness(a="error", b="error")) == [
        "model.osspulse.a_and_b",
        "model.osspulse.only_a",
        "model.osspulse.reads_only_a",
        "model.osspulse.reads_only_a_and_a_and_b",
        "model.osspulse.two_steps_from_a",
    ]


def test_failed_nodes_are_errors_and_failing_tests_not_warnings_or_skips():
    results = {
        "results": [
            {"unique_id": "model.osspulse.m1", "status": "success"},
            {"unique_id": "model.osspulse.m2", "status": "error"},
            {"unique_id": "test.osspulse.t1", "status": "fail"},
            {"unique_id": "test.osspulse.t2", "status": "warn"},
            {"unique_id": "model.osspulse.m3", "status": "skipped"},
            {"unique_id": "test.osspulse.t3", "status": "pass"},
        ]
    }
    assert failed_nodes(results) == ["model.osspulse.m2 (error)", "test.osspulse.t1 (fail)"]


def test_a_report_names_stale_sources_held_back_models_and_failures(tmp_path: Path):
    report = BuildReport(tmp_path, stale_sources=[A], held_back=["model.osspulse.only_a"], returncode=1)
    assert report.settled  # stale data: a retry on the same data ends the same way
    with pytest.raises(RuntimeError) as raised:
        report.raise_for_problems()
    assert A in str(raised.value) and "model.osspulse.only_a" in str(raised.value)

    failing_test = BuildReport(tmp_path, failed=["test.osspulse.t1 (fail)"], returncode=1)
    assert failing_test.settled and not failing_test.ok
    errored = BuildReport(tmp_path, failed=["model.osspulse.m2 (error)"], returncode=1)
    assert not errored.settled  # Trino restarting, say: the retry builds it
    crashed = BuildReport(tmp_path, returncode=2)
    assert not crashed.settled and not crashed.ok
    with pytest.raises(RuntimeError, match="exited with 2"):
        crashed.raise_for_problems()
    BuildReport(tmp_path).raise_for_problems()  # nothing wrong: no error
