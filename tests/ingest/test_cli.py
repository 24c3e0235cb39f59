"""``osspulse ingest``: arguments and output (the runs themselves are tested through the functions)."""

from __future__ import annotations

from datetime import date

import pytest

from osspulse.cli import build_parser
from osspulse.ingest.cli import _names, format_reports
from osspulse.ingest.report import IngestReport


def test_arguments():
    args = build_parser().parse_args(
        [
            "ingest",
            "github",
            "--repo",
            "a/b,c/d",
            "--repo",
            "e/f",
            "--load-date",
            "2026-11-02",
            "--full-refresh",
        ]
    )
    assert args.source == "github" and _names(args.repo) == ["a/b", "c/d", "e/f"]
    assert args.load_date == date(2026, 11, 2) and args.full_refresh and not args.json
    assert _names(build_parser().parse_args(["ingest", "pypi"]).package) is None  # the tracked set


def test_a_bad_load_date_is_explained(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["ingest", "pypi", "--load-date", "yesterday"])
    assert "'yesterday' is not a date: use YYYY-MM-DD" in capsys.readouterr().err


def test_fake_api_arguments():
    args = build_parser().parse_args(
        ["fake-api", "serve", "--data", "d", "--error-rate", "0.2", "--rate-limit", "50"]
    )
    assert args.error_rate == 0.2 and args.rate_limit == 50 and args.malformed_rate is None
    args = build_parser().parse_args(
        ["fake-api", "generate", "--out", "d", "--scale", "3", "--unknown-repo", "x/y"]
    )
    assert args.scale == 3 and args.unknown_repo == ["x/y"]
    with pytest.raises(SystemExit):
        build_parser().parse_args(["fake-api", "generate", "--out", "d", "--end-date", "soon"])


def test_report_table():
    ok = IngestReport(
        "github", "apache/iceberg", date(2026, 11, 1), notes=["empty repository: commits skipped (409)"]
    )
    bad = IngestReport("github", "x/y", date(2026, 11, 1), failures=["404"])
    table = format_reports([ok, bad])
    lines = table.splitlines()
    assert lines[0].split()[:3] == ["target", "status", "upserted"]
    assert "apache/iceberg" in lines[1] and "ok" in lines[1] and "(409)" in lines[1]
    assert "FAILED" in lines[2]


def test_main_says_what_is_wrong_with_a_bad_repo_name_or_tracked_file(capsys, tmp_path):
    from osspulse.cli import main

    assert main(["ingest", "github", "--repo", "not a repo"]) == 2
    err = capsys.readouterr().err
    assert "not GitHub repository names (owner/name): 'not a repo'" in err and "Traceback" not in err
    bad = tmp_path / "tracked.yml"
    bad.write_text("repos:\n  - ok/one\n  - not ok\n")
    assert main(["ingest", "pypi", "--tracked", str(bad)]) == 2
    assert f"{bad} line 3: repos[1] 'not ok' is not a valid name" in capsys.readouterr().err
