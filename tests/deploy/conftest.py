"""The compose tests (``-m compose``) run only when asked for: ``make test-compose``.

They build images and run the whole pipeline in containers (tens of minutes), so a plain ``pytest`` or
``make test`` deselects them (they are not skipped: they are not collected into the run at all).
"""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "compose" in (config.getoption("markexpr") or ""):
        return
    chosen, deselected = [], []
    for item in items:
        (deselected if item.get_closest_marker("compose") else chosen).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = chosen
