"""``osspulse fake-api serve|generate|append``: the API simulator and its datasets."""

from __future__ import annotations

import argparse
import json
import logging
from dataclasses import fields
from datetime import date
from pathlib import Path

log = logging.getLogger(__name__)


def _date(value: str) -> date:
    if value == "today":
        from datetime import UTC, datetime

        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date: use YYYY-MM-DD or today") from None


def _serve(args: argparse.Namespace) -> int:
    from osspulse.settings import get_settings
    from osspulse_sim.server import SimSettings, serve

    values = {f.name: getattr(args, f.name) for f in fields(SimSettings) if getattr(args, f.name) is not None}
    port = args.port if args.port is not None else get_settings().fake_api_port
    serve(Path(args.data), args.host, port, **values)
    return 0


def _generate(args: argparse.Namespace) -> int:
    from osspulse.tracked import load_tracked
    from osspulse_sim.generate import DEFAULT_END_DATE, generate

    totals = generate(
        Path(args.out),
        scale=args.scale,
        end_date=args.end_date or DEFAULT_END_DATE,
        seed=args.seed,
        tracked=load_tracked(args.tracked) if args.tracked else None,
        unknown_repos=args.unknown_repo,
        unknown_packages=args.unknown_package,
        empty_repos=args.empty_repo,
        long_history_repos=args.long_history,
    )
    print(json.dumps(totals, indent=2))
    return 0


def _import_git(args: argparse.Namespace) -> int:
    from osspulse_sim.gitimport import export_history

    counts = export_history(
        Path(args.git_dir),
        Path(args.out),
        branch=args.branch,
        start=args.start,
        days=args.days,
        margin_days=args.margin,
    )
    print(json.dumps(counts, indent=2))
    return 0


def _append(args: argparse.Namespace) -> int:
    from osspulse_sim.generate import append_activity

    print(json.dumps(append_activity(Path(args.data), days=args.days, seed=args.seed), indent=2))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    from osspulse_sim.server import SimSettings

    p = subparsers.add_parser("fake-api", help="the GitHub/pypistats/PyPI simulator and its datasets")
    sub = p.add_subparsers(dest="action", required=True)

    serve = sub.add_parser("serve", help="serve a dataset directory (Ctrl-C stops)")
    serve.add_argument("--data", required=True, help="the dataset directory")
    serve.add_argument("--port", type=int, help="default: OSSPULSE_FAKE_API_PORT (8900)")
    serve.add_argument("--host", default="127.0.0.1")
    helps = {
        "rate_limit": "GitHub requests per window (default 5000)",
        "rate_window_s": "seconds of a rate-limit window (default 3600)",
        "error_rate": "share of requests answered with --error-status (0..1)",
        "error_status": "status of injected errors (default 502)",
        "rate429_rate": "share answered 429 with Retry-After",
        "retry_after_s": "Retry-After of injected 429s (seconds)",
        "slow_rate": "share of slow answers",
        "slow_s": "delay of a slow answer (seconds)",
        "malformed_rate": "share of 200s with a body cut to invalid JSON",
        "truncate_rate": "share of 200s that stop half-way through the body",
        "fault_paths": "regex: inject faults only on matching paths",
        "seed": "seed of the fault dice",
        "end_date": "pypistats' today (default: the latest date in the data)",
        "pypistats_days": "days pypistats keeps (default 180)",
        "secondary_rate": "share of GitHub requests answered 403 'secondary rate limit' (no Retry-After)",
        "secondary_burst": "further requests refused after each secondary limit",
        "tokens": "accepted tokens, comma-separated (others: 401); empty accepts any",
        "pypistats_per_s": "pypistats requests a second per client (real: 5; 0 = unlimited)",
        "pypistats_per_window": "pypistats requests per window (real: 30 a minute; 0 = unlimited)",
        "pypistats_window_s": "the pypistats window (default 60 s)",
        "pypi_releases_key": "serve PyPI JSON with its deprecated releases key (true|false)",
        "asset_downloads_per_day": "growth of release assets' download_count a day",
        "as_of": "serve the world as of this day or moment (heads.jsonl, records created by then)",
    }
    for f in fields(SimSettings):
        kind = {"int": int, "float": float}.get(str(f.type).split(" ")[0], str)
        serve.add_argument(f"--{f.name.replace('_', '-')}", dest=f.name, type=kind, help=helps.get(f.name))
    serve.set_defaults(func=_serve)

    gen = sub.add_parser("generate", help="write a deterministic synthetic dataset")
    gen.add_argument("--out", required=True, help="the dataset directory to write")
    gen.add_argument("--scale", type=int, default=1, help="size multiplier (1: ~1.6k commits, 1k issues/PRs)")
    gen.add_argument(
        "--end-date", type=_date, help="the dataset's today, YYYY-MM-DD or today (default 2026-11-01)"
    )
    gen.add_argument("--seed", type=int, default=42)
    gen.add_argument("--tracked", help="generate for this tracked.yml (default: config/tracked.yml)")
    gen.add_argument("--unknown-repo", action="append", default=[], help="add a repo without data (404)")
    gen.add_argument(
        "--unknown-package", action="append", default=[], help="add a package without data (404)"
    )
    gen.add_argument("--empty-repo", action="append", default=[], help="add a repo without commits (409)")
    gen.add_argument(
        "--long-history", action="append", default=[], help="give this tracked repo 15 years of history"
    )
    gen.set_defaults(func=_generate)

    imp = sub.add_parser(
        "import-git", help="a slice of a real git history as a compact replay fixture (no work tree needed)"
    )
    imp.add_argument("--git-dir", required=True, help="a git directory (bare or .git)")
    imp.add_argument("--out", required=True, help="the fixture to write (.jsonl.gz)")
    imp.add_argument("--branch", default="main", help="the default branch")
    imp.add_argument("--start", type=_date, required=True, help="the first day of the slice")
    imp.add_argument("--days", type=int, default=45)
    imp.add_argument("--margin", type=int, default=60, help="days of history before the start to keep")
    imp.set_defaults(func=_import_git)

    app = sub.add_parser("append", help="add days of activity to a dataset (for incremental runs)")
    app.add_argument("--data", required=True)
    app.add_argument("--days", type=int, default=1)
    app.add_argument("--seed", type=int, default=42)
    app.set_defaults(func=_append)
