"""pypistats and PyPI JSON semantics over the dataset.

* pypistats: ``/api/packages/{name}/overall|python_major|python_minor|system``. pypistats only turns
  ``.`` and ``_`` into ``-`` (no lowercasing), so ``PyYAML`` finds nothing: ``overall`` answers 404 and
  the other metrics 200 with empty ``data``. It keeps the last 180 days before its "today". Limits per
  client IP (``pypistats_per_s``, ``pypistats_per_window`` per ``pypistats_window_s``): over them a
  429 without ``Retry-After``. No ETags.
* PyPI JSON: ``/pypi/{name}/json``; a name that is not the project's own spelling but normalises to it
  (PEP 503) answers 301 to ``/pypi/{canonical}/json``; ``pypi_releases_key`` false drops the deprecated
  ``releases`` key.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from datetime import date, timedelta
from typing import Any

from osspulse_sim.dataset import PYPISTATS_TYPES, Dataset
from osspulse_sim.github import Answer, dumps
from osspulse_sim.settings import SimSettings

PYPISTATS_PATH = re.compile(r"^/api/packages/([^/]+)/(overall|python_major|python_minor|system)/?$")
PYPI_PATH = re.compile(r"^/pypi/([^/]+)/json/?$")


def pep503(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pypistats_name(name: str) -> str:
    """What pypistats does to a name: ``.`` and ``_`` become ``-``, nothing else."""
    return re.sub(r"[_.]", "-", name)


class PyPIStatsLimiter:
    """pypistats' limits per client: at most N a second and M per window, else 429."""

    def __init__(self, clock: Any = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._sent: deque[float] = deque()
        self.max_in_window = 0
        self.max_in_second = 0

    def admit(self, settings: SimSettings) -> bool:
        with self._lock:
            now = self._clock()
            window = max(1.0, settings.pypistats_window_s)
            while self._sent and now - self._sent[0] >= window:
                self._sent.popleft()
            in_second = sum(1 for t in self._sent if now - t < 1.0)
            if settings.pypistats_per_s and in_second >= settings.pypistats_per_s:
                return False
            if settings.pypistats_per_window and len(self._sent) >= settings.pypistats_per_window:
                return False
            self._sent.append(now)
            self.max_in_window = max(self.max_in_window, len(self._sent))
            self.max_in_second = max(self.max_in_second, in_second + 1)
            return True

    def reset(self) -> None:
        with self._lock:
            self._sent.clear()
            self.max_in_window = self.max_in_second = 0


class PyPIApi:
    def __init__(self, dataset: Dataset, settings: SimSettings) -> None:
        self.ds = dataset
        self.settings = settings
        self.limiter = PyPIStatsLimiter()

    def pypistats(self, name: str, metric: str) -> Answer:
        if not self.limiter.admit(self.settings):
            return Answer(429, b"Too Many Requests", {"Content-Type": "text/plain"})
        package = pypistats_name(name)
        source_metric = "python_minor" if metric == "python_major" else metric
        body = self.ds.pypistats(package, source_metric)
        if body is None:
            if metric == "overall":
                return Answer(404, dumps({"message": "Not Found"}))
            return Answer(200, dumps({"data": [], "package": package, "type": PYPISTATS_TYPES[metric]}))
        end = self._end()
        rows = [r for r in body.get("data", []) if isinstance(r, dict)]
        if end is not None:
            first = (end - timedelta(days=self.settings.pypistats_days - 1)).isoformat()
            rows = [r for r in rows if first <= str(r.get("date")) <= end.isoformat()]
        return Answer(
            200,
            dumps({"data": self._shape(rows, metric), "package": package, "type": PYPISTATS_TYPES[metric]}),
        )

    def pypistats_with_mirrors(self, answer: Answer, mirrors: str | None) -> Answer:
        if answer.status != 200 or mirrors not in ("true", "false"):
            return answer
        body = json.loads(answer.body)
        wanted = "with_mirrors" if mirrors == "true" else "without_mirrors"
        body["data"] = [r for r in body["data"] if r.get("category") == wanted]
        return Answer(200, dumps(body), answer.headers)

    def _end(self) -> date | None:
        if self.settings.end_date:
            return date.fromisoformat(self.settings.end_date)
        if self.settings.as_of:
            return date.fromisoformat(self.settings.as_of[:10])
        return self.ds.end_date()

    @staticmethod
    def _shape(rows: list[dict[str, Any]], metric: str) -> list[dict[str, Any]]:
        if metric != "python_major":
            return rows
        sums: dict[tuple[str, str], int] = {}
        for r in rows:
            category = str(r.get("category"))
            major = category.split(".")[0] if category != "null" else "null"
            sums[(r["date"], major)] = sums.get((r["date"], major), 0) + int(r.get("downloads") or 0)
        return [{"category": c, "date": d, "downloads": n} for (d, c), n in sorted(sums.items())]

    def pypi_json(self, name: str, host: str) -> Answer:
        stored = self.ds.pypi(pep503(name))
        if stored is None:
            return Answer(404, dumps({"message": "Not Found"}))
        body = json.loads(stored)
        canonical = str((body.get("info") or {}).get("name") or pep503(name))
        if name != canonical:
            location = f"http://{host}/pypi/{canonical}/json"
            return Answer(301, b"", {"Location": location})
        if not self.settings.pypi_releases_key:
            body.pop("releases", None)
            return Answer(200, dumps(body))
        return Answer(200, stored)
