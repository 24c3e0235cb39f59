"""The dbt documentation site: ``dbt docs generate`` against the lake, published atomically under the
state directory, where the stack's ``docs`` service (``osspulse docs serve``) serves it."""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

from osspulse.settings import Settings

log = logging.getLogger(__name__)

SITE_FILES = ("index.html", "manifest.json", "catalog.json")


def site_dir(s: Settings) -> Path:
    return s.state_dir / "dbt-docs"


def generate(s: Settings) -> Path:
    """Run ``dbt docs generate`` and publish the site atomically (readers never see half a site)."""
    from osspulse.transform.dbt import DbtTarget, run_dbt

    site = site_dir(s)
    site.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=site.parent, prefix=".dbt-docs-") as tmp:
        work = Path(tmp)
        run_dbt(s, ["docs", "generate"], DbtTarget(workdir=work, run_tag="docs"), capture=True, check=True)
        staged = work / "site"
        staged.mkdir()
        for name in SITE_FILES:
            shutil.copy2(work / "target" / name, staged / name)
        old = site.with_name(".dbt-docs-old")
        if site.exists():
            site.rename(old)
        staged.rename(site)
        shutil.rmtree(old, ignore_errors=True)
    log.info("dbt docs published in %s", site)
    return site
