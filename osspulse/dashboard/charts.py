"""Plotly figures (pure builders) and :func:`show`, which draws one with its CSV download button."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
PLOTLY_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}


def _layout(fig: go.Figure, *, y_title: str = "", percent: bool = False, height: int = 320) -> go.Figure:
    fig.update_layout(
        template="plotly_white",
        font={"family": "'Source Sans', 'Source Sans Pro', sans-serif"},
        height=height,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        hovermode="x unified",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        yaxis_title=y_title,
    )
    fig.update_yaxes(rangemode="tozero")
    if percent:
        fig.update_yaxes(tickformat=".0%", rangemode="normal")
    return fig


def lines(
    frame: pd.DataFrame,
    x: str,
    series: Mapping[str, str],
    *,
    y_title: str = "",
    percent: bool = False,
    x_range: Sequence[date] | None = None,
    dashed: Sequence[str] = (),
) -> go.Figure:
    """One line per column of ``series`` (column -> legend label)."""
    fig = go.Figure()
    for i, (column, label) in enumerate(series.items()):
        if column not in frame:
            continue
        fig.add_scatter(
            x=frame[x],
            y=frame[column],
            name=label,
            mode=_mode(len(frame)),
            line={"color": PALETTE[i % len(PALETTE)], "dash": "dash" if column in dashed else "solid"},
        )
    if x_range:
        fig.update_xaxes(range=_padded(x_range))
    return _layout(fig, y_title=y_title, percent=percent)


def bars(
    frame: pd.DataFrame,
    x: str,
    series: Mapping[str, str],
    *,
    y_title: str = "",
    horizontal: bool = False,
    stacked: bool = False,
    x_range: Sequence[date] | None = None,
) -> go.Figure:
    fig = go.Figure()
    for i, (column, label) in enumerate(series.items()):
        if column not in frame:
            continue
        color = PALETTE[i % len(PALETTE)]
        if horizontal:
            fig.add_bar(y=frame[x], x=frame[column], name=label, orientation="h", marker_color=color)
        else:
            fig.add_bar(x=frame[x], y=frame[column], name=label, marker_color=color)
    fig.update_layout(barmode="stack" if stacked else "group")
    if x_range and not horizontal:
        fig.update_xaxes(range=_padded(x_range, _half_step_days(frame[x])))
    if horizontal:
        fig.update_yaxes(autorange="reversed")
        fig.update_layout(hovermode="y unified")
        return _layout(fig, y_title="", height=max(240, 22 * len(frame) + 60)).update_layout(
            hovermode="y unified"
        )
    return _layout(fig, y_title=y_title)


def shares(
    frame: pd.DataFrame,
    *,
    x: str,
    category: str,
    value: str,
    area: bool = True,
    x_range: Sequence[date] | None = None,
) -> go.Figure:
    """Stacked shares (0..1) per category over time, categories in a stable order."""
    fig = go.Figure()
    order = sorted(frame[category].unique(), key=_natural_key)
    for i, name in enumerate(order):
        part = frame[frame[category] == name]
        color = PALETTE[i % len(PALETTE)]
        if area:
            fig.add_scatter(
                x=part[x],
                y=part[value],
                name=str(name),
                stackgroup="one",
                mode="lines",
                line={"color": color},
            )
        else:
            fig.add_bar(x=part[x], y=part[value], name=str(name), marker_color=color)
    if not area:
        fig.update_layout(barmode="stack")
    if x_range:
        fig.update_xaxes(range=_padded(x_range))
    return _layout(fig, y_title="share of downloads", percent=True).update_yaxes(range=[0, 1])


def by_subject(
    frame: pd.DataFrame,
    *,
    x: str,
    subject: str,
    value: str,
    colors: Mapping[str, str],
    x_range: Sequence[date],
    y_title: str = "",
    percent: bool = False,
) -> go.Figure:
    """One line per subject on shared axes (the Compare page)."""
    fig = go.Figure()
    for name, part in frame.groupby(subject, sort=True):
        fig.add_scatter(
            x=part[x],
            y=part[value],
            name=str(name),
            mode=_mode(len(part)),
            line={"color": colors.get(str(name), PALETTE[0])},
        )
    fig.update_xaxes(range=_padded(x_range))
    return _layout(fig, y_title=y_title, percent=percent, height=280)


def _padded(x_range: Sequence[date], pad_days: float = 0.5) -> list[str]:
    """The date range as axis bounds, ``pad_days`` wider on each side so end points and bars show whole."""
    start, end = x_range
    pad = timedelta(days=pad_days)
    return [(pd.Timestamp(start) - pad).isoformat(), (pd.Timestamp(end) + pad).isoformat()]


def _half_step_days(values: pd.Series) -> float:
    """Half the usual distance between consecutive dates (half a bar's slot), at least half a day."""
    days = pd.to_datetime(pd.Series(values)).sort_values().diff().dropna().dt.days
    return max(0.5, float(days.median()) / 2) if not days.empty else 0.5


def _mode(points: int) -> str:
    """Lines only (markers cost the browser time on every chart), unless a point would be invisible."""
    return "lines+markers" if points <= 2 else "lines"


def _natural_key(text: object) -> tuple[object, ...]:
    """ "3.9" < "3.10"; words sort as words."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", str(text)))


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode("utf-8")


def show(fig: go.Figure, frame: pd.DataFrame, *, key: str, file_name: str) -> None:
    """Draw ``fig`` and, under it, a button that downloads ``frame`` (the chart's data) as CSV."""
    # theme=None: the figure's own plotly_white template; Streamlit's theme costs ~25 ms a chart to apply
    st.plotly_chart(fig, key=f"chart-{key}", config=PLOTLY_CONFIG, theme=None)
    st.session_state["_osspulse_charts"] = st.session_state.get("_osspulse_charts", 0) + 1
    download(frame, key=key, file_name=file_name)


def download(frame: pd.DataFrame, *, key: str, file_name: str, label: str = "Download CSV") -> None:
    st.download_button(
        label,
        data=lambda: csv_bytes(frame),  # made on click, not on every run
        file_name=f"{slug(file_name)}.csv",
        mime="text/csv",
        key=f"csv-{key}",
        on_click="ignore",
        icon=":material/download:",
        type="tertiary",
    )


def small_multiples(
    frame: pd.DataFrame,
    *,
    measures: Sequence[str],
    titles: Mapping[str, str],
    percent: Sequence[str],
    colors: Mapping[str, str],
    x_range: Sequence[date],
    y_title: str = "",
) -> go.Figure:
    """One panel per measure, one line per subject, all panels on one shared time axis and one legend
    (a single figure draws much faster in the browser than one chart per measure)."""
    from plotly.subplots import make_subplots

    rows = max(1, (len(measures) + 1) // 2)
    fig = make_subplots(
        rows=rows,
        cols=2,
        shared_xaxes="all",
        subplot_titles=[titles[m] for m in measures],
        vertical_spacing=min(0.08, 0.5 / rows),
        horizontal_spacing=0.08,
    )
    shown_in_legend: set[str] = set()
    for i, measure in enumerate(measures):
        row, col = i // 2 + 1, i % 2 + 1
        part = frame[frame["measure"] == measure]
        for subject, series in part.groupby("subject", sort=True):
            name = str(subject)
            fig.add_scatter(
                x=series["period"],
                y=series["shown"],
                name=name,
                legendgroup=name,
                showlegend=name not in shown_in_legend,
                mode=_mode(len(series)),
                line={"color": colors.get(name, PALETTE[0])},
                row=row,
                col=col,
            )
            shown_in_legend.add(name)
        fig.update_yaxes(
            rangemode="tozero" if measure not in percent else "normal",
            tickformat=".0%" if measure in percent else None,
            title_text=y_title if measure not in percent else "",
            row=row,
            col=col,
        )
    fig.update_xaxes(range=_padded(x_range), showticklabels=True)
    fig.update_layout(
        template="plotly_white",
        font={"family": "'Source Sans', 'Source Sans Pro', sans-serif"},
        height=90 + 260 * rows,
        margin={"l": 10, "r": 10, "t": 80, "b": 10},
        hovermode="x unified",
        legend={"orientation": "h", "yanchor": "top", "y": 1.0, "x": 0, "yref": "container"},
    )
    return fig


@dataclass(frozen=True)
class Panel:
    """One panel of :func:`panels`: its title, the columns it draws (column -> legend label), how."""

    title: str
    series: Mapping[str, str]
    kind: str = "line"  # line | bar
    y_title: str = ""
    percent: bool = False  # values are ratios, shown as %
    dashed: tuple[str, ...] = ()  # columns drawn dashed (moving averages)


def panels(
    frame: pd.DataFrame,
    x: str,
    parts: Sequence[Panel],
    *,
    cols: int,
    x_range: Sequence[date] | None = None,
    row_height: int = 300,
) -> go.Figure:
    """Several panels of one frame in one figure, on one shared time axis with one legend (one figure
    of several panels draws much faster in the browser than as many separate charts)."""
    from plotly.subplots import make_subplots

    rows = max(1, -(-len(parts) // cols))
    fig = make_subplots(
        rows=rows,
        cols=cols,
        shared_xaxes="all",
        subplot_titles=[p.title for p in parts],
        vertical_spacing=min(0.12, 0.6 / rows),
        horizontal_spacing=0.06,
    )
    color = 0
    bar_pad = _half_step_days(frame[x]) if len(frame) > 1 else 0.5
    has_bars = False
    for i, part in enumerate(parts):
        row, col = i // cols + 1, i % cols + 1
        for column, label in part.series.items():
            if column not in frame:
                continue
            style = PALETTE[color % len(PALETTE)]
            color += 1
            if part.kind == "bar":
                has_bars = True
                fig.add_bar(x=frame[x], y=frame[column], name=label, marker_color=style, row=row, col=col)
            else:
                line = {"color": style, "dash": "dash" if column in part.dashed else "solid"}
                fig.add_scatter(
                    x=frame[x],
                    y=frame[column],
                    name=label,
                    mode=_mode(int(frame[column].notna().sum())),
                    line=line,
                    connectgaps=True,
                    row=row,
                    col=col,
                )
        fig.update_yaxes(
            title_text=part.y_title,
            rangemode="normal" if part.percent else "tozero",
            tickformat=".0%" if part.percent else None,
            row=row,
            col=col,
        )
    if x_range:
        fig.update_xaxes(range=_padded(x_range, bar_pad if has_bars else 0.5))
    fig.update_xaxes(showticklabels=True)
    legend_lines = -(-color // (4 * cols))  # about four legend entries per line per panel column
    top = 40 + 22 * legend_lines
    fig.update_layout(
        template="plotly_white",
        font={"family": "'Source Sans', 'Source Sans Pro', sans-serif"},
        height=row_height * rows + top,
        margin={"l": 10, "r": 10, "t": top, "b": 10},
        hovermode="x unified",
        barmode="group",
        legend={"orientation": "h", "yanchor": "top", "y": 1.0, "x": 0, "yref": "container"},
    )
    return fig
