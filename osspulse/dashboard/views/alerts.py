"""Alerts: the open events and those of the last 30 days (lake.gold.alert_events, built by dbt from the
rules of alerts.yml), each with a link to the page whose charts it is about."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from osspulse.alerts.messages import KIND_TITLES, PAGES, Event, summary
from osspulse.dashboard import charts, data, queries

RECENT_DAYS = 30


def _described(frame: pd.DataFrame, base: str) -> pd.DataFrame:
    """The events as the page shows them: what happened in words, and a link to their charts."""
    rows = []
    for record in frame.to_dict("records"):
        clean = {
            k: (None if k in ("observed_value", "threshold") and pd.isna(v) else v) for k, v in record.items()
        }
        event = Event.from_row(clean)
        rows.append(
            {
                "first seen": pd.Timestamp(record["first_seen"]).strftime("%Y-%m-%d %H:%M UTC"),
                "alert": KIND_TITLES.get(event.kind, event.kind),
                "event": summary(event),
                "rule": event.rule,
                "resolved": (
                    ""
                    if pd.isna(record["resolved_at"])
                    else pd.Timestamp(record["resolved_at"]).strftime("%Y-%m-%d %H:%M UTC")
                ),
                "chart": f"{base}/{PAGES.get(event.subject_type, 'overview')}",
            }
        )
    return pd.DataFrame(rows, columns=["first seen", "alert", "event", "rule", "resolved", "chart"])


def _md(text: str) -> str:
    """Data as literal text in Markdown (no formatting, links or HTML)."""
    for ch in "\\`*_{}[]<>()#+-.!|~$":
        text = text.replace(ch, "\\" + ch)
    return text


def render() -> None:
    st.title("Alerts")
    st.caption(
        "Events of the alert rules (alerts.yml beside the tracked set, docs/alerts.md), evaluated by dbt on "
        "gold after every transform (lake.gold.alert_events): an event fires once, when its condition first "
        "holds, and resolves when it stops holding. The deliver_alerts DAG sends new events to the rules' "
        "recipients; a weekly digest goes out on Mondays."
    )
    t = data.table
    data.prefetch(queries.alerts_open(t), queries.alerts_recent(t, RECENT_DAYS))
    opened = data.fetch(queries.alerts_open(t), "open alerts")
    recent = data.fetch(queries.alerts_recent(t, RECENT_DAYS), "recent alerts")
    if opened is None or recent is None:
        return
    base = ""  # links relative to the dashboard: the same host and port as this page
    a, b = st.columns(2)
    a.metric("Open alerts", len(opened))
    b.metric(f"Alerts of the last {RECENT_DAYS} days", len(recent))
    st.subheader("Open")
    if opened.empty:
        st.info("No open alert. Rules live in alerts.yml beside the tracked set (docs/alerts.md).")
    else:
        lines = [
            f"- **{row['alert']}** ({_md(row['rule'])}): {_md(row['event'])} -- first seen "
            f"{row['first seen']} · [open the charts]({row['chart']})"
            for row in _described(opened, base).to_dict("records")
        ]
        st.markdown("\n".join(lines))
        charts.download(opened, key="alerts-open", file_name="alerts-open")
    st.subheader(f"Last {RECENT_DAYS} days")
    if recent.empty:
        st.info(f"No alert fired or resolved in the last {RECENT_DAYS} days.")
    else:
        st.dataframe(
            _described(recent, base),
            hide_index=True,
            column_config={"chart": st.column_config.LinkColumn("chart", display_text="open the charts")},
        )
        charts.download(recent, key="alerts-recent", file_name="alerts-recent")
