"""PyPI JSON and pypistats ingest against the simulator and a scratch staging database."""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta

import pytest

from osspulse.ingest.pypi import ingest_package, ingest_pypi
from osspulse.ingest.report import IngestError, NotFoundError
from osspulse_sim.generate import append_activity, dataset_end_date
from osspulse_sim.server import running_simulator
from tests.ingest.helpers import PYPI_ENTITIES, diff_summary, expected_staging, fast, staging_dump, subset

pytestmark = pytest.mark.integration

DAY1, DAY2, DAY3 = date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)


def test_backfill_no_change_then_append(dataset, sim, scratch_db):
    settings = fast(sim.settings_for(scratch_db, tracked=dataset / "tracked.yml"))
    reports = ingest_pypi(settings, None, DAY1)
    assert all(r.ok for r in reports)
    expected = subset(expected_staging(dataset, DAY1), PYPI_ENTITIES)
    actual = staging_dump(settings, PYPI_ENTITIES)
    assert actual == expected, diff_summary(actual, expected)
    # pypistats keeps 180 days: the generator wrote 200
    end = dataset_end_date(dataset)
    days = {k[3] for k in actual["pypi_downloads"]}
    assert min(days) == end - timedelta(days=179) and max(days) == end and len(days) == 180
    assert sim.stats()["counted"] == 4 * len(reports)  # PyPI JSON + 3 pypistats metrics, one page each
    overall = {k[2] for k in actual["pypi_downloads"] if k[1] == "overall"}
    assert overall == {"with_mirrors", "without_mirrors"}
    release = actual["pypi_releases"][("pyiceberg", "0.4.0")]
    assert (
        release["file_count"] == 0 and release["first_upload_at"] is None
    )  # a version whose files were deleted

    sim.reset()
    reports = ingest_pypi(settings, None, DAY2)
    # PyPI JSON answers 304; pypistats sends no ETag, so its 3 metrics are asked again (3 a package a day)
    assert sim.stats()["counted"] == 3 * len(reports) and sim.stats()["not_modified"] == len(reports)
    projects = staging_dump(settings, ("pypi_projects",))["pypi_projects"]
    assert {k[1] for k in projects} == {DAY1, DAY2}  # the daily snapshot, copied on a 304

    append_activity(dataset)
    sim.reset()
    reports = ingest_pypi(settings, None, DAY3)
    assert sim.stats()["counted"] == 4 * len(reports)
    after = staging_dump(settings, PYPI_ENTITIES)
    new_rows = set(after["pypi_downloads"]) - set(actual["pypi_downloads"])
    assert {k[3] for k in new_rows} == {end + timedelta(days=1)}
    assert len(new_rows) == 13 * len(reports)  # 2 overall + 7 python_minor + 4 system categories
    assert set(actual["pypi_downloads"]) <= set(after["pypi_downloads"])  # days beyond 180 stay in staging
    assert len(after["pypi_releases"]) == len(actual["pypi_releases"]) + len(reports)
    assert sum(r.entities["pypi_releases"].inserted for r in reports) == len(reports)
    assert sum(r.entities["pypi_releases"].unchanged for r in reports) == len(actual["pypi_releases"])


def test_unknown_package_and_package_without_downloads(dataset, scratch_db):
    tracked = (
        (dataset / "tracked.yml")
        .read_text()
        .replace("packages:\n", "packages:\n- no-such-package\n- newborn\n")
    )
    (dataset / "tracked.yml").write_text(tracked)
    shutil.copy(
        dataset / "pypi" / "hudi.json", dataset / "pypi" / "newborn.json"
    )  # on PyPI, not on pypistats
    with running_simulator(dataset) as sim:
        settings = fast(sim.settings_for(scratch_db, tracked=dataset / "tracked.yml"))
        with pytest.raises(IngestError) as info:
            ingest_pypi(settings, None, DAY1)
        with pytest.raises(NotFoundError, match="PyPI has no package no-such-package"):
            ingest_package(settings, "no-such-package", DAY1)
    assert set(info.value.failures) == {"no-such-package"}
    assert "no-such-package" in str(info.value) and "404" in str(info.value)
    newborn = next(r for r in info.value.reports if r.target == "newborn")
    assert newborn.ok and any("pypistats has no overall downloads for newborn" in n for n in newborn.notes)
    assert len([r for r in info.value.reports if r.ok]) == 5


def test_release_summary_matches_the_files(dataset, sim, scratch_db):
    settings = fast(sim.settings_for(scratch_db))
    ingest_package(settings, "deltalake", DAY1)
    body = json.loads((dataset / "pypi" / "deltalake.json").read_text())
    releases = staging_dump(settings, ("pypi_releases",))["pypi_releases"]
    assert len(releases) == len(body["releases"])
    for (package, version), payload in releases.items():
        files = body["releases"][version]
        assert package == "deltalake" and payload["files"] == files
        assert payload["file_count"] == len(files)
        assert payload["total_size"] == sum(f["size"] for f in files)
        if files:
            assert payload["first_upload_at"] == min(f["upload_time_iso_8601"] for f in files)
            assert payload["yanked"] == all(f["yanked"] for f in files)
            assert payload["requires_python"] == files[0]["requires_python"]
