"""PyPI JSON and pypistats -> ``staging.pypi_*``: one package (:func:`ingest_package`) or many.

Per package: ``GET /pypi/{package}/json`` (every release: upload times, yanked flags, requires_python;
plus the daily project snapshot), then pypistats ``overall`` (with and without mirrors),
``python_minor`` and ``system`` daily rows. pypistats keeps only the last 180 days, so the history
beyond that is what earlier runs stored. All requests are conditional on the stored ETag.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import date
from typing import Any

from osspulse.entities import entity
from osspulse.ingest import staging
from osspulse.ingest.http import ApiClient, ApiError, pypi_client, pypistats_client
from osspulse.ingest.report import (
    IngestError,
    IngestReport,
    NotFoundError,
    raise_for_failures,
    snapshot_allowed,
    utc_today,
)
from osspulse.ingest.staging import Row, StreamState
from osspulse.ingest.streams import PYPI_JSON, PYPI_STREAMS, PYPISTATS_STREAMS, parse_time
from osspulse.settings import Settings
from osspulse.tracked import PACKAGE_RE, load_tracked

log = logging.getLogger(__name__)

NULL_CATEGORY = "null"  # pypistats' own spelling of "unknown" (the key column cannot be null)


# --- pure parsing ------------------------------------------------------------------------------------


def pep503(name: str) -> str:
    """The PEP 503 normalised name (``PyYAML`` -> ``pyyaml``, ``zope.interface`` -> ``zope-interface``).

    Requests use it: pypistats only turns ``.``/``_`` into ``-`` and would find nothing for ``PyYAML``,
    PyPI answers a 301 for any other spelling. Rows keep the tracked spelling as their key.
    """
    return re.sub(r"[-_.]+", "-", name).lower()


def check_pypi_json(body: Any) -> str:
    if not isinstance(body.get("info"), dict):
        return "the PyPI JSON has no `info` object"
    if not isinstance(body.get("releases", {}), dict):
        return "the PyPI JSON `releases` is not an object"
    return ""


class ReleasesKeyMissing(ApiError):
    """PyPI's JSON came without the (deprecated) ``releases`` key: never read that as "no releases"."""


def check_pypistats(body: Any) -> str:
    data = body.get("data")
    if not isinstance(data, list):
        return "the pypistats answer has no `data` list"
    for i, row in enumerate(data):
        if not isinstance(row, dict) or not isinstance(row.get("date"), str) or "downloads" not in row:
            return f"pypistats row {i} lacks date or downloads"
        try:
            date.fromisoformat(row["date"])
        except ValueError:
            return f"pypistats row {i} has the date {row['date']!r}"
    return ""


def _upload_time(file: dict[str, Any]) -> tuple[Any, str | None]:
    text = file.get("upload_time_iso_8601") or file.get("upload_time")
    return parse_time(text) if isinstance(text, str) else None, text


def release_payload(version: str, files: list[dict[str, Any]] | None) -> dict[str, Any]:
    """One version's files plus their summary (the ``pypi_releases`` payload).

    ``first_upload_at`` is the earliest file upload (as PyPI spelled it), ``yanked`` is true when every
    file is yanked, ``requires_python`` comes from the earliest file that declares one (``info`` only
    describes the latest version).
    """
    files = list(files or [])
    timed = sorted(
        ((t, text, f) for f in files for t, text in [_upload_time(f)] if t is not None), key=lambda x: x[0]
    )
    first_upload = timed[0][1] if timed else None
    ordered = [f for _, _, f in timed] + [f for f in files if _upload_time(f)[0] is None]
    requires_python = next((f["requires_python"] for f in ordered if f.get("requires_python")), None)
    yanked = bool(files) and all(bool(f.get("yanked")) for f in files)
    yanked_reason = next((f["yanked_reason"] for f in ordered if f.get("yanked_reason")), None)
    return {
        "version": version,
        "first_upload_at": first_upload,
        "yanked": yanked,
        "yanked_reason": yanked_reason,
        "requires_python": requires_python,
        "file_count": len(files),
        "total_size": sum(int(f.get("size") or 0) for f in files),
        "files": files,
    }


def release_rows(package: str, body: dict[str, Any]) -> list[Row]:
    """``pypi_releases`` rows of a PyPI JSON body: one per version, files included.

    Raises:
        ReleasesKeyMissing: the body has no ``releases`` (PyPI deprecated it; it may go one day).
    """
    if "releases" not in body:
        raise ReleasesKeyMissing(
            f"PyPI's JSON for {body.get('info', {}).get('name', '?')} has no `releases` key (deprecated "
            "upstream): refusing to record that as 'no releases'. The ingest must move to PyPI's "
            "per-version JSON (/pypi/{name}/{version}/json) or the Simple API (PEP 691); nothing was written"
        )
    releases = body["releases"] or {}
    return [((package, version), release_payload(version, files)) for version, files in releases.items()]


def project_payload(body: dict[str, Any]) -> dict[str, Any]:
    """The ``pypi_projects`` snapshot: the PyPI JSON without the per-version ``releases`` (kept apart)."""
    return {k: v for k, v in body.items() if k != "releases"}


def download_rows(package: str, metric: str, body: dict[str, Any]) -> list[Row]:
    """``pypi_downloads`` rows of a pypistats body; the payload is the pypistats row as returned."""
    rows: list[Row] = []
    for row in body.get("data") or []:
        category = row.get("category")
        key = (
            package,
            metric,
            NULL_CATEGORY if category is None else str(category),
            date.fromisoformat(row["date"]),
        )
        rows.append((key, row))
    return rows


# --- one package -------------------------------------------------------------------------------------


def _deleted_versions(conn: Any, package: str, listed: set[str]) -> list[str]:
    """Live staged versions of ``package`` that PyPI's JSON no longer lists."""
    rows = conn.execute(
        "select version from staging.pypi_releases where package = %s and not payload ? '_osspulse'",
        (package,),
    ).fetchall()
    return sorted(v for (v,) in rows if v not in listed)


def _sync_pypi_json(
    settings: Settings, conn: Any, client: ApiClient, package: str, load_date: date, report: IngestReport
) -> None:
    projects, releases = entity("pypi_projects"), entity("pypi_releases")
    state = staging.read_state(conn, PYPI_JSON.name, package)
    url = client.url(PYPI_JSON.url_path(package))  # PyPI redirects other spellings to its own (301)
    last = staging.latest_snapshot(conn, projects, "package", package)
    resp = client.get(
        url,
        etag=state.etag_for(url) if last else None,
        expect=dict,
        allow=(404,),
        counts=report.requests,
        check=check_pypi_json,
    )
    if resp.status == 404:
        raise NotFoundError(
            f"PyPI has no package {package} (404 on GET /pypi/{package}/json): "
            "check its name in the tracked set"
        )
    snapshot_ok = snapshot_allowed(load_date, resp.fetch_day, settings.snapshot_max_lag_days)
    if not snapshot_ok:
        report.notes.append(
            f"no PyPI project snapshot for {load_date}: fetched on {resp.fetch_day} (a past snapshot is "
            "only written by the run of its day)"
        )
    with staging.transaction(conn):
        if resp.not_modified:
            assert last is not None
            if snapshot_ok:
                snapshot = [((package, load_date), last[1])]
                report.count(
                    projects.name,
                    staging.upsert(conn, projects, snapshot, load_date=load_date, fetched_at=resp.fetched_at),
                )
            return
        body: dict[str, Any] = resp.body
        rows = release_rows(package, body)
        report.count(
            releases.name,
            staging.upsert(conn, releases, rows, load_date=load_date, fetched_at=resp.fetched_at),
        )
        gone = _deleted_versions(conn, package, {version for (_, version), _ in rows})
        if gone:
            n = staging.tombstone(
                conn,
                releases,
                package,
                gone,
                reason="deleted from PyPI",
                load_date=load_date,
                fetched_at=resp.fetched_at,
            )
            report.tombstoned[releases.name] = n
            report.notes.append(f"{n} versions deleted from PyPI: tombstoned")
        if snapshot_ok:
            snapshot = [((package, load_date), project_payload(body))]
            report.count(
                projects.name,
                staging.upsert(conn, projects, snapshot, load_date=load_date, fetched_at=resp.fetched_at),
            )
        staging.write_state(
            conn, StreamState(PYPI_JSON.name, package, etag=resp.etag if snapshot_ok else None, etag_url=url)
        )


def _sync_pypistats(
    conn: Any, client: ApiClient, package: str, load_date: date, report: IngestReport
) -> None:
    downloads = entity("pypi_downloads")
    for stream in PYPISTATS_STREAMS:
        try:
            state = staging.read_state(conn, stream.name, package)
            url = client.url(stream.url_path(pep503(package)))
            resp = client.get(
                url,
                etag=state.etag_for(url),
                expect=dict,
                allow=(404,),
                counts=report.requests,
                check=check_pypistats,
            )
            if resp.status == 404:
                report.notes.append(
                    f"pypistats has no {stream.metric} downloads for {package} (404 for {pep503(package)}): "
                    "an unknown name, or too new"
                )
                continue
            if resp.not_modified:
                continue
            rows = download_rows(package, stream.metric, resp.body)
            with staging.transaction(conn):
                counts = staging.upsert(
                    conn, downloads, rows, load_date=load_date, fetched_at=resp.fetched_at
                )
                report.count(downloads.name, counts)
                staging.write_state(conn, StreamState(stream.name, package, etag=resp.etag, etag_url=url))
        except ApiError as exc:
            report.failures.append(f"{stream.name}: {exc}")
            log.error("%s: %s failed: %s", package, stream.name, exc)


def ingest_package(
    settings: Settings,
    package: str,
    load_date: date,
    *,
    pypi: ApiClient | None = None,
    pypistats: ApiClient | None = None,
    full_refresh: bool = False,
) -> IngestReport:
    """Ingest one PyPI package (releases, project snapshot, pypistats downloads) into staging.

    Raises:
        NotFoundError: PyPI does not know the package (404).
        IngestError: a pypistats metric failed for good (the others were still ingested).
    """
    if not PACKAGE_RE.match(package):
        raise ValueError(f"{package!r} is not a PyPI package name (e.g. pyiceberg)")
    report = IngestReport("pypi", package, load_date)
    own_pypi, own_stats = pypi is None, pypistats is None
    pypi = pypi or pypi_client(settings)
    pypistats = pypistats or pypistats_client(settings)
    log.info("%s: ingesting (load_date %s)", package, load_date)
    try:
        with staging.connect(settings) as conn:
            staging.ensure_staging(conn)
            staging.check_source(conn, settings)
            if full_refresh:
                staging.reset_state(conn, package, [s.name for s in PYPI_STREAMS])
            try:
                _sync_pypi_json(settings, conn, pypi, package, load_date, report)
            except NotFoundError as exc:
                report.failures.append(str(exc))
                log.error("%s: %s", package, exc)
                raise NotFoundError(
                    f"{package}: {exc}", reports=[report.finish()], failures={package: str(exc)}
                ) from None
            except ApiError as exc:
                report.failures.append(f"{PYPI_JSON.name}: {exc}")
                log.error("%s: %s", package, exc)
            _sync_pypistats(conn, pypistats, package, load_date, report)
    finally:
        if own_pypi:
            pypi.close()
        if own_stats:
            pypistats.close()
    report.finish()
    log.info("%s", report.summary())
    if report.failures:
        reason = "; ".join(report.failures)
        raise IngestError(f"{package}: {reason}", reports=[report], failures={package: reason})
    return report


def ingest_pypi(
    settings: Settings,
    packages: Iterable[str] | None,
    load_date: date | None,
    *,
    full_refresh: bool = False,
) -> list[IngestReport]:
    """Ingest many packages, ``ingest_concurrency`` at a time, past failures (pypistats stays <= 30/min).

    Raises:
        IngestError: naming every failed package and why, after all were tried (``exc.reports``).
    """
    package_list = list(
        dict.fromkeys(packages if packages is not None else load_tracked(settings.tracked).packages)
    )
    bad = [p for p in package_list if not PACKAGE_RE.match(p)]
    if bad:
        raise ValueError(f"not PyPI package names: {', '.join(map(repr, bad))}")
    load_date = load_date or utc_today()
    if not package_list:
        return []
    with staging.connect(settings) as conn:
        staging.ensure_staging(conn)
        staging.check_source(conn, settings)  # before any request: demo and real data never mix
    reports: dict[str, IngestReport] = {}
    failures: dict[str, str] = {}
    workers = max(1, min(settings.ingest_concurrency, len(package_list)))
    with (
        pypi_client(settings) as pypi,
        pypistats_client(settings) as stats,
        ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ingest-pypi") as pool,
    ):
        futures = {
            pool.submit(
                ingest_package, settings, p, load_date, pypi=pypi, pypistats=stats, full_refresh=full_refresh
            ): p
            for p in package_list
        }
        for future in as_completed(futures):
            package = futures[future]
            try:
                reports[package] = future.result()
            except IngestError as exc:
                failures[package] = exc.failures.get(package, str(exc))
                reports[package] = exc.reports[0] if exc.reports else IngestReport("pypi", package, load_date)
            except Exception as exc:
                log.exception("%s: ingest failed", package)
                failures[package] = f"{type(exc).__name__}: {exc}"
                reports[package] = IngestReport(
                    "pypi", package, load_date, failures=[failures[package]]
                ).finish()
    ordered = [reports[p] for p in package_list]
    raise_for_failures("PyPI", ordered, {p: failures[p] for p in package_list if p in failures})
    return ordered
