"""Fixtures of the ingest tests: a scale-1 dataset (generated once), a private copy, a simulator."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from osspulse.settings import Settings
from osspulse_sim.generate import generate
from osspulse_sim.server import SimulatorHandle, running_simulator


@pytest.fixture(scope="session")
def stack(settings: Settings) -> Settings:
    """Ingest tests need only PostgreSQL: start that (idempotent), not the whole stack."""
    from osspulse.stack import runner

    runner.up(settings, only=["postgres"])
    return settings


@pytest.fixture(scope="session")
def dataset_scale1(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default dataset at scale 1 (read-only: copy it with the `dataset` fixture to change it)."""
    out = tmp_path_factory.mktemp("dataset") / "scale1"
    generate(out, scale=1, unknown_repos=(), unknown_packages=())
    return out


@pytest.fixture
def dataset(dataset_scale1: Path, tmp_path: Path) -> Path:
    """A private copy of the scale-1 dataset, free to change."""
    out = tmp_path / "data"
    shutil.copytree(dataset_scale1, out)
    return out


@pytest.fixture
def sim(dataset: Path) -> Iterator[SimulatorHandle]:
    with running_simulator(dataset) as handle:
        yield handle
