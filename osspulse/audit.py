"""``make audit`` (part of ``make lint``): pip-audit over requirements.lock.

A vulnerability fails the audit unless ``security/known-vulnerabilities.toml`` accepts it with a reason
and a review date that has not passed. Packages the vulnerability service cannot look up (for example
behind a PyPI mirror that does not serve per-version metadata) are reported by count, loudly, and do
not pass silently as "clean": the summary line says how many were actually audited, and an audit that
looked up nothing at all fails, unless ``OSSPULSE_AUDIT_OFFLINE=true`` (environment or ``.env``) says
that this machine cannot reach a vulnerability service; then it passes saying so.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from datetime import UTC, date, datetime
from pathlib import Path

from osspulse.settings import REPO_ROOT

ACCEPTED = REPO_ROOT / "security" / "known-vulnerabilities.toml"


def accepted(today: date) -> dict[tuple[str, str], dict]:
    entries = tomllib.loads(ACCEPTED.read_text()).get("accepted", [])
    return {
        (e["package"].lower(), e["id"]): e
        for e in entries
        if date.fromisoformat(str(e["review_by"])) >= today
    }


def evaluate(report: dict, allowed: dict[tuple[str, str], dict]) -> tuple[list[str], list[str], int]:
    """(unaccepted findings, accepted findings, packages that could not be audited) of a pip-audit report."""
    bad, ok, skipped = [], [], 0
    for dep in report.get("dependencies", []):
        if dep.get("skip_reason"):
            skipped += 1
            continue
        for vuln in dep.get("vulns", []):
            fixed = ", ".join(vuln.get("fix_versions", [])) or "-"
            line = f"{dep['name']} {dep.get('version')}: {vuln['id']} (fixed in {fixed})"
            key = (dep["name"].lower(), vuln["id"])
            (ok if key in allowed else bad).append(
                line + (f" — accepted: {allowed[key]['why']}" if key in allowed else "")
            )
    return bad, ok, skipped


def main() -> int:
    pip_audit = Path(sys.executable).with_name("pip-audit")
    done = subprocess.run(  # noqa: S603
        [str(pip_audit), "-r", str(REPO_ROOT / "requirements.lock"), "--no-deps", "--disable-pip",
         "--progress-spinner", "off", "-f", "json"],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    try:
        report = json.loads(done.stdout)
    except ValueError:
        print(
            f"audit: pip-audit gave no report (exit {done.returncode}): {done.stderr[-500:]}", file=sys.stderr
        )
        return 1
    bad, ok, skipped = evaluate(report, accepted(datetime.now(UTC).date()))
    total = len(report.get("dependencies", []))
    for line in ok:
        print(f"audit: accepted {line}")
    for line in bad:
        print(f"audit: VULNERABLE {line}", file=sys.stderr)
    print(f"audit: {total - skipped} of {total} locked packages audited, {len(bad)} unaccepted and {len(ok)} "
          f"accepted vulnerabilities")  # fmt: skip
    if skipped:
        print(
            f"audit: WARNING {skipped} packages could not be looked up by the vulnerability service from "
            "this network (no per-version metadata on this PyPI); they are NOT known to be clean",
            file=sys.stderr,
        )
    return exit_code(bad=len(bad), total=total, skipped=skipped, is_offline=offline())


def exit_code(*, bad: int, total: int, skipped: int, is_offline: bool) -> int:
    """1 on an unaccepted finding, or when nothing at all was audited (unless the machine is offline)."""
    if bad:
        return 1
    if skipped < total:
        return 0  # something was audited (the skips are reported above)
    if is_offline:
        print(
            "audit: OFFLINE (OSSPULSE_AUDIT_OFFLINE=true): no locked package could be audited; the "
            "dependencies are NOT known to be clean. Run `make audit` where PyPI's metadata or OSV is "
            "reachable",
            file=sys.stderr,
        )
        return 0
    print(
        f"audit: FAILED: none of the {total} locked packages could be audited, so the audit proves "
        "nothing. Run it where the vulnerability service is reachable, or set "
        "OSSPULSE_AUDIT_OFFLINE=true (environment or .env) to acknowledge that this machine is offline",
        file=sys.stderr,
    )
    return 1


def offline() -> bool:
    """The explicit offline switch: ``OSSPULSE_AUDIT_OFFLINE`` in the environment or ``.env``."""
    from osspulse.settings import get_settings

    return get_settings().audit_offline


if __name__ == "__main__":
    sys.exit(main())
