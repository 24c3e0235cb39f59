"""``osspulse alerts``: check the rule file, deliver pending events or a digest by hand (the
``deliver_alerts`` and ``alert_digest`` DAGs do the same on schedule)."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, date, datetime


def _alerts(args: argparse.Namespace) -> int:
    from osspulse.alerts.rules import AlertRulesError, alerts_from_settings
    from osspulse.settings import get_settings

    s = get_settings()
    try:
        config = alerts_from_settings(s)
    except AlertRulesError as exc:  # names the file and the line: one readable line, no traceback
        raise SystemExit(str(exc)) from None
    if args.action == "check":
        print(f"{config.source}: {len(config.rules)} rule(s), {len(config.recipients)} recipient(s)")
        for rule in config.rules:
            scope = f"{rule.scope_type} {rule.scope}" if rule.scope else "all"
            notify = ", ".join(rule.notify) or "nobody"
            print(f"  line {rule.line}: {rule.name} ({rule.kind}, {scope}) -> {notify}")
        return 0
    from osspulse.alerts import delivery

    run_id = f"cli__{datetime.now(UTC):%Y-%m-%dT%H:%M:%S}"
    if args.action == "deliver":
        report = delivery.deliver_events(s, config, run_id)
    else:
        week = date.fromisoformat(args.week) if args.week else delivery.digest_week(datetime.now(UTC))
        report = delivery.deliver_digest(s, config, week, run_id)
    print(json.dumps({"sent": report.sent, "failed": report.failed}, indent=2))
    report.raise_for_failures()
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("alerts", help="alert rules (check) and delivery (deliver, digest)")
    p.add_argument("action", choices=["check", "deliver", "digest"])
    p.add_argument("--week", help="digest: the Monday of the week (default: the last complete week)")
    p.set_defaults(func=_alerts)
