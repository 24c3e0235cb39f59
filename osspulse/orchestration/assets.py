"""Airflow Assets linking the DAGs.

* ``staging.<entity>``: published by each mapped ingest task for the staging tables it fed (lineage in
  the Assets view).
* ``staging``: published once per ingest batch (GitHub and PyPI together), after every mapped task
  has finished, with the load date and the entities fed. ``load_iceberg`` is scheduled on it, so a
  batch makes exactly one load run and one transform run: a schedule on the per-entity assets would
  start a load as soon as the *first* repo finished (and a second one for the rest), and two batch
  assets (one per source) made two loads and two transforms a day.
* ``lake.raw.<entity>`` and ``lake.raw``: published by the load (one Spark application for every
  entity of the batch) with the window loaded; ``transform_dbt`` is scheduled on ``lake.raw``.
* ``lake.gold``: published by ``transform_dbt`` when the gold models are built.
"""

from __future__ import annotations

from airflow.sdk import Asset

from osspulse.entities import ENTITIES

SOURCE_OF = {e.name: ("github" if e.source == "github" else "pypi") for e in ENTITIES}

STAGING = {
    e.name: Asset(name=f"staging.{e.name}", uri=f"osspulse://staging/{e.name}", group="staging")
    for e in ENTITIES
}
STAGING_BATCH = Asset(name="staging", uri="osspulse://staging", group="staging")
RAW = {
    e.name: Asset(name=f"lake.raw.{e.name}", uri=f"osspulse://lake/raw/{e.name}", group="lake")
    for e in ENTITIES
}
RAW_BATCH = Asset(name="lake.raw", uri="osspulse://lake/raw", group="lake")
GOLD = Asset(name="lake.gold", uri="osspulse://lake/gold", group="lake")


def staging_assets(source: str) -> list[Asset]:
    return [asset for name, asset in STAGING.items() if SOURCE_OF[name] == source]


def entities_of(source: str) -> list[str]:
    return [name for name in STAGING if SOURCE_OF[name] == source]
