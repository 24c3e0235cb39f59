"""``osspulse ingest github|pypi|all``: run the ingest without Airflow."""

from __future__ import annotations

import argparse
import json
import logging
from datetime import date
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def load_date_arg(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date: use YYYY-MM-DD") from None


def _names(values: list[str]) -> list[str] | None:
    """Repeated and/or comma-separated names; None when none were given (= the tracked set)."""
    names = [n.strip() for v in values for n in v.split(",") if n.strip()]
    return names or None


def format_reports(reports: list[Any]) -> str:
    rows = [("target", "status", "upserted", "unchanged", "requests", "304s", "retries", "seconds", "notes")]
    for r in reports:
        rows.append(
            (
                r.target,
                "ok" if r.ok else "FAILED",
                str(r.rows_upserted),
                str(r.rows_unchanged),
                str(r.requests.counted),
                str(r.requests.not_modified),
                str(r.requests.retries),
                f"{r.duration_s:.1f}",
                "; ".join(r.notes),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row[:-1], widths, strict=True)) + "  " + row[-1]
        for row in rows
    ]
    return "\n".join(line.rstrip() for line in lines)


def _ingest(args: argparse.Namespace) -> int:
    from osspulse.ingest.github import ingest_github
    from osspulse.ingest.pypi import ingest_pypi
    from osspulse.ingest.report import IngestError, utc_today
    from osspulse.settings import get_settings

    settings = get_settings()
    if args.tracked:
        settings = settings.model_copy(update={"tracked": Path(args.tracked).resolve()})
    load_date = args.load_date or utc_today()
    reports: list[Any] = []
    errors: list[str] = []
    jobs = []
    if args.source in ("github", "all"):
        jobs.append(
            lambda: ingest_github(settings, _names(args.repo), load_date, full_refresh=args.full_refresh)
        )
    if args.source in ("pypi", "all"):
        jobs.append(
            lambda: ingest_pypi(settings, _names(args.package), load_date, full_refresh=args.full_refresh)
        )
    for job in jobs:
        try:
            reports += job()
        except IngestError as exc:
            reports += exc.reports
            errors.append(str(exc))
        except ValueError as exc:  # a bad name or an invalid tracked.yml (TrackedError): nothing was fetched
            log.error("%s", exc)
            return 2
    if args.json:
        print(json.dumps([r.to_dict() for r in reports], indent=2))
    else:
        print(format_reports(reports))
    for error in errors:
        log.error("%s", error)
    return 1 if errors else 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "ingest",
        help="ingest GitHub and/or PyPI into Postgres staging (incremental)",
        description="Fetch the tracked repos/packages (or the ones named) into staging.<entity>. "
        "Reruns are incremental: bookmarks and ETags live in staging._ingest_state.",
    )
    p.add_argument("source", choices=["github", "pypi", "all"], help="what to ingest")
    p.add_argument(
        "--repo", action="append", default=[], help="owner/name; repeat or comma-separate (default: tracked)"
    )
    p.add_argument("--package", action="append", default=[], help="a PyPI package; repeat or comma-separate")
    p.add_argument(
        "--load-date", type=load_date_arg, help="the data interval's UTC date (default: today, UTC)"
    )
    p.add_argument("--tracked", help="a tracked.yml (default: OSSPULSE_TRACKED, config/tracked.yml)")
    p.add_argument("--full-refresh", action="store_true", help="ignore bookmarks and ETags (rows stay)")
    p.add_argument("--json", action="store_true", help="print the reports as JSON")
    p.set_defaults(func=_ingest)
