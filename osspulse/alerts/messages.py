"""The bodies of alert messages (pure functions: no I/O).

* an event notification: one e-mail (HTML) or one webhook post (Slack-compatible JSON whose ``text`` is
  Markdown, Slack's mrkdwn flavour) per recipient and delivery run, listing every new event;
* the weekly digest: the week's events and the headline figures of the tracked projects.

Every value that comes from data is escaped (HTML) or stripped of Markdown control characters.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

KIND_TITLES = {
    "new_release": "New release",
    "downloads_change": "Downloads changed",
    "unanswered_share": "Issues/PRs without a first response",
    "absence_factor": "Few contributors",
    "python_version_share": "Python version share",
    "stars_gained": "Stars gained",
    "data_stale": "Data stale",
}
#: the dashboard page of each subject type (osspulse/dashboard/app.py PAGES)
PAGES = {"repository": "repositories", "package": "packages", "source": "data-health"}


#: the suffix of an event that is the n-th episode of its condition
EPISODE = re.compile(r"\|#(\d+)$")


@dataclass(frozen=True)
class Event:
    """One row of gold.alert_events."""

    event_id: str
    rule: str
    kind: str
    subject_type: str
    subject: str
    event_key: str
    period_start: date
    period_grain: str
    observed_value: float | None
    threshold: float | None
    detail: str | None
    first_seen: datetime
    resolved_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Event:
        return cls(**{name: row.get(name) for name in cls.__dataclass_fields__})

    @property
    def episode(self) -> int:
        """1 the first time the condition held; n when it resolved and held again (event_id ``...|#n``,
        gold.alert_events)."""
        found = EPISODE.search(self.event_id)
        return int(found.group(1)) if found else 1


def _ratio_kinds(kind: str) -> bool:
    return kind in ("downloads_change", "unanswered_share", "python_version_share")


def figure(kind: str, value: float | None) -> str:
    """The compared figure in words: percentages for ratios, days, people, stars."""
    if value is None:
        return "n/a"
    if _ratio_kinds(kind):
        return f"{value * 100:+.1f}%" if kind == "downloads_change" else f"{value * 100:.1f}%"
    if kind in ("new_release", "data_stale"):
        return f"{value:.1f} days" if kind == "data_stale" else f"{value:.0f} days ago"
    return f"{value:g}"


def summary(e: Event) -> str:
    """One line saying what happened (plain text); a condition holding again says so."""
    text = _what(e)
    return f"{text} (again: time {e.episode})" if e.episode > 1 else text


def _what(e: Event) -> str:
    threshold = figure(e.kind, e.threshold).lstrip("+")
    match e.kind:
        case "new_release":
            return f"{e.subject} released {e.event_key} on {e.period_start.isoformat()}"
        case "downloads_change":
            return (
                f"{e.subject}: downloads of the week of {e.period_start.isoformat()} changed "
                f"{figure(e.kind, e.observed_value)} (threshold {threshold})"
            )
        case "unanswered_share":
            return (
                f"{e.subject}: {figure(e.kind, e.observed_value)} of {e.event_key.replace('_', ' ')} opened "
                f"in {e.period_start:%B %Y} had no first response in time (threshold {threshold})"
            )
        case "absence_factor":
            return (
                f"{e.subject}: contributor absence factor {figure(e.kind, e.observed_value)} in "
                f"{e.period_start:%B %Y} (at most {threshold})"
            )
        case "python_version_share":
            return (
                f"{e.subject}: Python {e.event_key} is {figure(e.kind, e.observed_value)} of downloads in "
                f"{e.period_start:%B %Y} (threshold {threshold})"
            )
        case "stars_gained":
            return (
                f"{e.subject}: {figure(e.kind, e.observed_value)} stars in the week of "
                f"{e.period_start.isoformat()} (threshold {threshold})"
            )
        case "data_stale":
            return f"{e.subject} data not loaded for {figure(e.kind, e.observed_value)} ({e.detail or ''})"
    return f"{e.rule}: {e.subject} {e.event_key}".strip()


def link(dashboard_url: str, e: Event) -> str:
    return f"{dashboard_url}/{PAGES.get(e.subject_type, 'alerts')}"


def _md(text: str) -> str:
    """Text safe inside Slack mrkdwn (no formatting, no links, no mentions)."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("*", "")
        .replace("_", " ")
    )


def _html_events(events: Sequence[Event], dashboard_url: str) -> str:
    rows = "".join(
        "<tr>"
        f"<td>{html.escape(KIND_TITLES.get(e.kind, e.kind))}</td>"
        f"<td>{html.escape(summary(e))}</td>"
        f"<td>{html.escape(e.rule)}</td>"
        f'<td><a href="{html.escape(link(dashboard_url, e), quote=True)}">chart</a></td>'
        "</tr>"
        for e in events
    )
    return (
        "<table border='1' cellpadding='4' cellspacing='0'>"
        "<tr><th>what</th><th>event</th><th>rule</th><th></th></tr>"
        f"{rows}</table>"
    )


def events_email(events: Sequence[Event], dashboard_url: str) -> tuple[str, str]:
    """(subject, HTML body) of an event notification."""
    subject = (
        f"OSS Pulse alert: {summary(events[0])}"
        if len(events) == 1
        else f"OSS Pulse: {len(events)} new alerts"
    )
    body = (
        "<html><body><h2>OSS Pulse alerts</h2>"
        f"{_html_events(events, dashboard_url)}"
        f'<p>All alerts: <a href="{html.escape(dashboard_url)}/alerts">the Alerts page</a></p>'
        "</body></html>"
    )
    return subject, body


def events_webhook(events: Sequence[Event], dashboard_url: str) -> dict[str, Any]:
    """A Slack-compatible incoming-webhook payload (``text`` in mrkdwn)."""
    lines = [f"*OSS Pulse: {len(events)} new alert{'s' if len(events) != 1 else ''}*"]
    lines += [
        f"• {_md(KIND_TITLES.get(e.kind, e.kind))}: {_md(summary(e))} <{link(dashboard_url, e)}|chart>"
        for e in events
    ]
    return {"text": "\n".join(lines)}


def _headline_rows(rows: Sequence[Mapping[str, Any]], columns: Sequence[tuple[str, str]]) -> list[list[str]]:
    out = []
    for row in rows:
        cells = []
        for name, fmt in columns:
            value = row.get(name)
            if value is None:
                cells.append("–")
            elif fmt == "pct":
                cells.append(f"{value * 100:+.1f}%")
            elif fmt == "int":
                cells.append(f"{value:,.0f}")
            else:
                cells.append(str(value))
        out.append(cells)
    return out


REPO_COLUMNS = (
    ("repo", "text"),
    ("stars", "int"),
    ("commits_90d", "int"),
    ("human_active_authors_90d", "int"),
)
PACKAGE_COLUMNS = (("package", "text"), ("downloads_30d", "int"), ("downloads_30d_pct_change", "pct"))


def digest(
    week: date,
    events: Sequence[Event],
    repos: Sequence[Mapping[str, Any]],
    packages: Sequence[Mapping[str, Any]],
    dashboard_url: str,
) -> tuple[str, str, dict[str, Any]]:
    """(subject, HTML e-mail, webhook payload with a Markdown body) of the weekly digest of ``week``
    (its Monday): the events first seen that week and the headline figures."""
    plural = "s" if len(events) != 1 else ""
    subject = f"OSS Pulse weekly digest, week of {week.isoformat()}: {len(events)} alert{plural}"
    repo_cells = _headline_rows(repos, REPO_COLUMNS)
    package_cells = _headline_rows(packages, PACKAGE_COLUMNS)

    def table(header: Sequence[str], cells: list[list[str]]) -> str:
        head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in cells)
        return f"<table border='1' cellpadding='4' cellspacing='0'><tr>{head}</tr>{body}</table>"

    events_html = _html_events(events, dashboard_url) if events else "<p>No alerts this week.</p>"
    body = (
        f"<html><body><h2>{html.escape(subject)}</h2><h3>Alerts</h3>{events_html}"
        "<h3>Repositories</h3>"
        + table(["repository", "stars", "commits (90 days)", "active authors (90 days)"], repo_cells)
        + "<h3>Packages</h3>"
        + table(["package", "downloads (30 days)", "vs previous 30 days"], package_cells)
        + f'<p><a href="{html.escape(dashboard_url)}">Open the dashboard</a></p></body></html>'
    )

    def md_table(header: Sequence[str], cells: list[list[str]]) -> list[str]:
        return [
            "| " + " | ".join(header) + " |",
            "|" + "---|" * len(header),
            *("| " + " | ".join(_md(c) for c in row) + " |" for row in cells),
        ]

    lines = [f"*{_md(subject)}*", "", "*Alerts*"]
    lines += [f"• {_md(summary(e))}" for e in events] or ["No alerts this week."]
    lines += [
        "",
        "*Repositories*",
        *md_table(["repository", "stars", "commits 90d", "authors 90d"], repo_cells),
    ]
    lines += ["", "*Packages*", *md_table(["package", "downloads 30d", "vs previous"], package_cells)]
    lines += ["", f"<{dashboard_url}|Open the dashboard>"]
    return subject, body, {"text": "\n".join(lines)}
