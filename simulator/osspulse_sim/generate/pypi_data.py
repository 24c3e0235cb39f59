"""pypistats bodies and the PyPI JSON of a generated package."""

from __future__ import annotations

import hashlib
import logging
import math
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from osspulse_sim.generate.people import _moment, _sha
from osspulse_sim.generate.profiles import DOWNLOAD_DAYS, PackageProfile, _hash_int, package_profile

log = logging.getLogger(__name__)

# --- PyPI and pypistats ------------------------------------------------------------------------------

PY_MINORS = ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13")
SYSTEMS = (("Linux", 0.86), ("Darwin", 0.07), ("Windows", 0.05), ("null", 0.02))
WHEEL_TAGS = (
    "cp39-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64",
    "cp39-abi3-manylinux_2_17_aarch64.manylinux2014_aarch64",
    "cp39-abi3-macosx_10_12_x86_64",
    "cp39-abi3-macosx_11_0_arm64",
    "cp39-abi3-win_amd64",
)


def _split(total: int, shares: list[float]) -> list[int]:
    """``total`` split by ``shares`` into integers that add up exactly (largest remainder)."""
    s = sum(shares)
    raw = [total * x / s for x in shares]
    out = [int(r) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - out[i], reverse=True)[: total - sum(out)]:
        out[i] += 1
    return out


def pypistats_bodies(
    package: str, seed: int, end: date, days: int = DOWNLOAD_DAYS, first_day: int = 0
) -> dict:
    """``{metric: body}`` for days ``first_day .. days-1`` of the window ending at ``end``."""
    profile = package_profile(package)
    rows: dict[str, list[dict[str, Any]]] = {"overall": [], "python_minor": [], "system": []}
    for d in range(first_day, days):
        day = end - timedelta(days=days - 1 - d)
        rng = random.Random(_hash_int(seed, package, "downloads", day.isoformat()))
        x = d / max(1, days - 1)  # 0 .. 1 across the window
        growth = 0.7 + 0.3 * x
        weekday = 0.62 if day.weekday() >= 5 else 1.0
        total = max(0, int(profile.daily * growth * weekday * math.exp(rng.gauss(0, 0.08))))
        mirrors = int(total * rng.uniform(0.01, 0.04))
        rows["overall"] += [
            {"category": "with_mirrors", "date": day.isoformat(), "downloads": total + mirrors},
            {"category": "without_mirrors", "date": day.isoformat(), "downloads": total},
        ]
        shares = [
            0.10 - 0.05 * x,
            0.20 - 0.05 * x,
            0.25 - 0.03 * x,
            0.25 + 0.02 * x,
            0.15 + 0.07 * x,
            0.02 + 0.05 * x,
            0.03,
        ]
        shares = [max(0.001, s * rng.uniform(0.9, 1.1)) for s in shares]
        for cat, n in zip((*PY_MINORS, "null"), _split(total, shares), strict=True):
            rows["python_minor"].append({"category": cat, "date": day.isoformat(), "downloads": n})
        sys_shares = [s * rng.uniform(0.9, 1.1) for _, s in SYSTEMS]
        for (cat, _), n in zip(SYSTEMS, _split(total, sys_shares), strict=True):
            rows["system"].append({"category": cat, "date": day.isoformat(), "downloads": n})
    types = {
        "overall": "overall_downloads",
        "python_minor": "python_minor_downloads",
        "system": "system_downloads",
    }
    return {
        metric: {
            "data": sorted(r, key=lambda x: (x["category"], x["date"])),
            "package": package,
            "type": types[metric],
        }
        for metric, r in rows.items()
    }


def _pypi_file(package: str, version: str, kind: str, uploaded: datetime, size: int, requires: str) -> dict:
    norm = package.replace("-", "_")
    if kind == "sdist":
        filename, ptype, pyver = f"{norm}-{version}.tar.gz", "sdist", "source"
    elif kind == "pure":
        filename, ptype, pyver = f"{norm}-{version}-py3-none-any.whl", "bdist_wheel", "py3"
    else:
        filename, ptype, pyver = f"{norm}-{version}-{kind}.whl", "bdist_wheel", "cp39"
    digest = hashlib.sha256(filename.encode()).hexdigest()
    return {
        "comment_text": "",
        "digests": {"blake2b_256": _sha(filename, "b2") + digest[:24], "md5": digest[:32], "sha256": digest},
        "downloads": -1,
        "filename": filename,
        "has_sig": False,
        "md5_digest": digest[:32],
        "packagetype": ptype,
        "python_version": pyver,
        "requires_python": requires,
        "size": size,
        "upload_time": uploaded.strftime("%Y-%m-%dT%H:%M:%S"),
        "upload_time_iso_8601": uploaded.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "url": f"https://files.pythonhosted.org/packages/{digest[:2]}/{digest[2:4]}/{digest[4:]}/{filename}",
        "yanked": False,
        "yanked_reason": None,
    }


def _version_files(
    package: str, version: str, profile: PackageProfile, t: datetime, requires: str, rng: random.Random
) -> list[dict[str, Any]]:
    files = [_pypi_file(package, version, "sdist", t, rng.randrange(200_000, 3_000_000), requires)]
    kinds = WHEEL_TAGS if profile.binary else ("pure",)
    for kind in kinds:
        t = t + timedelta(seconds=rng.randrange(20, 900), microseconds=rng.randrange(1_000_000))
        files.append(_pypi_file(package, version, kind, t, rng.randrange(300_000, 40_000_000), requires))
    return files


def _versions(
    package: str, profile: PackageProfile, rng: random.Random, end: date, n: int
) -> tuple[dict[str, list[dict[str, Any]]], list[tuple[str, bool]]]:
    """(files by version, [(version, prerelease)] in release order) over the 900 days before ``end``."""
    end_dt = datetime(end.year, end.month, end.day, 20, 0, tzinfo=UTC)
    start = end_dt - timedelta(days=900)
    times = sorted(_moment(rng, start, end_dt - timedelta(days=2)) for _ in range(n))
    major, minor = profile.version
    patch = 0
    releases: dict[str, list[dict[str, Any]]] = {}
    order: list[tuple[str, bool]] = []  # (version, prerelease)
    for i, t in enumerate(times):
        frac = i / max(1, n - 1)
        requires = ">=3.8" if frac < 0.4 else (">=3.9" if frac < 0.85 else ">=3.9,<3.14")
        roll = rng.random()
        if i and roll < 0.12:
            version, pre = f"{major}.{minor + 1}.0rc{rng.randrange(1, 3)}", True
            if version in releases:
                version = f"{major}.{minor + 1}.0b{i}"
        elif i and roll < 0.45:
            minor, patch = minor + 1, 0
            version, pre = f"{major}.{minor}.{patch}", False
        else:
            if i:
                patch += 1
            version, pre = f"{major}.{minor}.{patch}", False
        files = _version_files(package, version, profile, t, requires, rng)
        if i == 0 and n > 3:
            files = []  # an early version whose files were deleted: PyPI lists it with no files
        elif rng.random() < 0.04:
            reason = "Broken wheel, use the next version"
            for f in files:
                f["yanked"], f["yanked_reason"] = True, reason
        elif rng.random() < 0.03 and len(files) > 1:
            files[-1]["yanked"], files[-1]["yanked_reason"] = True, "Wrong platform tag"
        releases[version] = files
        order.append((version, pre))
    return releases, order


def pypi_body(package: str, seed: int, end: date, scale: int) -> dict[str, Any]:
    """The ``GET /pypi/{package}/json`` body."""
    profile = package_profile(package)
    rng = random.Random(_hash_int(seed, package, "pypi"))
    releases, order = _versions(package, profile, rng, end, profile.versions * scale)
    latest = next(
        (
            v
            for v, pre in reversed(order)
            if not pre and releases[v] and not all(f["yanked"] for f in releases[v])
        ),
        order[-1][0],
    )
    latest_files = releases[latest]
    info = {
        "author": None,
        "author_email": "Maintainers <dev@example.org>",
        "bugtrack_url": None,
        "classifiers": [
            "License :: OSI Approved :: Apache Software License",
            "Programming Language :: Python :: 3",
        ],
        "description": f"# {package}\n\n{profile.summary}.",
        "description_content_type": "text/markdown",
        "docs_url": None,
        "download_url": None,
        "downloads": {"last_day": -1, "last_month": -1, "last_week": -1},
        "dynamic": None,
        "home_page": None,
        "keywords": None,
        "license": profile.license,
        "license_expression": profile.license,
        "maintainer": None,
        "maintainer_email": None,
        "name": package,
        "package_url": f"https://pypi.org/project/{package}/",
        "platform": None,
        "project_url": f"https://pypi.org/project/{package}/",
        "project_urls": {"Homepage": profile.repo_url, "Source": profile.repo_url},
        "provides_extra": [],
        "release_url": f"https://pypi.org/project/{package}/{latest}/",
        "requires_dist": ["pyarrow>=14"] if profile.binary else ["pyspark>=3.5"],
        "requires_python": (latest_files[0]["requires_python"] if latest_files else ">=3.9"),
        "summary": profile.summary,
        "version": latest,
        "yanked": False,
        "yanked_reason": None,
    }
    return {
        "info": info,
        "last_serial": 20_000_000 + _hash_int(package, "serial", len(order)) % 9_000_000,
        "releases": releases,
        "urls": latest_files,
        "vulnerabilities": [],
    }
