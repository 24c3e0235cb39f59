"""Repositories: one repository's activity, contributors, responsiveness, stars and releases."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from osspulse.dashboard import charts, data, formatting, queries
from osspulse.dashboard.context import choose_one, current


def render() -> None:
    ctx = current()
    f = ctx.filters
    st.title("Repositories")
    repo = choose_one("Repository", ctx.repos, key="repo", param="repo")
    if repo is None:
        st.info("No repository has data in gold yet.")
        return
    t = data.table
    bots = "bots included" if f.include_bots else "bots excluded"
    st.caption(
        f"{f.start} to {f.end}, by {f.grain}, {bots}. Monthly measures (responsiveness, absence factor, "
        "releases) are monthly at every granularity."
        + formatting.partial_period_note(f.grain, ctx.bounds.github_as_of)
    )
    name = charts.slug(repo)
    search = str(st.session_state.get("contributor_search") or "").strip()
    data.prefetch(
        queries.repo_headlines(t, f.include_bots),
        queries.repo_activity(t, repo, f.grain, f.start, f.end, f.include_bots),
        queries.top_contributors(t, repo, f.include_bots, search),
        queries.issue_responsiveness(t, repo, f.start, f.end),
        queries.contributor_absence(t, repo, f.start, f.end),
        queries.repo_snapshots(t, repo, f.start, f.end),
        queries.release_cadence(t, "repository", repo, f.start, f.end),
    )

    _range_hint(repo, f.start, f.end)
    activity = data.fetch(queries.repo_activity(t, repo, f.grain, f.start, f.end, f.include_bots), "activity")
    if activity is not None:
        st.subheader("Activity")
        st.caption("New contributors: authors whose first commit to the repository falls in the period.")
        fig = charts.panels(
            activity,
            "period",
            [
                charts.Panel(
                    "Commits and active authors", {"commits": "commits", "active_authors": "active authors"}
                ),
                charts.Panel(
                    "Issues and pull requests",
                    {
                        "issues_opened": "issues opened",
                        "issues_closed": "issues closed",
                        "prs_opened": "PRs opened",
                        "prs_merged": "PRs merged",
                    },
                ),
                charts.Panel("New contributors", {"new_contributors": "new contributors"}, kind="bar"),
            ],
            cols=3,
            x_range=f.x_range(),
        )
        charts.show(fig, activity, key="activity", file_name=f"{name}-activity-{f.grain}")

    left, right = st.columns(2)
    with left:
        _top_contributors(repo, name)
    with right:
        _responsiveness(repo, name)
    _absence_releases_stars(repo, name)


def _range_hint(repo: str, start, end) -> None:
    """Say so when the chosen range misses the repository's activity (the default shows the 365 days
    ending at the latest data of any repository, which may be after this one's activity ended)."""
    headlines = data.fetch(queries.repo_headlines(data.table, True), "the repository's dates")
    if headlines is None:
        return
    match = headlines[headlines.repo == repo]
    if match.empty:
        return
    row = match.iloc[0]
    first, last = row.first_activity_on, row.last_activity_on
    if last is not None and not pd.isna(last) and start > last:
        st.info(
            f"No activity in this range: {repo}'s activity ends on {last} (its data runs to "
            f"{row.as_of_date}). Widen the date range in the sidebar to before {last}.",
            icon=":material/info:",
        )
    elif first is not None and not pd.isna(first) and end < first:
        st.info(
            f"No activity in this range: {repo}'s activity starts on {first}. Move the date range later.",
            icon=":material/info:",
        )


def _top_contributors(repo: str, name: str) -> None:
    f = current().filters
    st.subheader("Top contributors")
    search = st.text_input(
        "Find a contributor", key="contributor_search", placeholder="login or name", max_chars=100
    )
    top = data.fetch(
        queries.top_contributors(data.table, repo, f.include_bots, search.strip()), "top contributors"
    )
    if top is None:
        return
    if top.empty:
        st.info("No contributor matches." if search.strip() else "No commit authors recorded.")
        return
    st.caption(
        f"Authored commits in the 365 days ending {top.as_of_date.iloc[0]} (the repository's as-of date, "
        "not the date filter), then all time; merge commits are counted apart. People are GitHub accounts "
        "(a renamed login is one person); authors known by e-mail only are shown without the address."
    )
    fig = charts.bars(
        top,
        "contributor",
        {"commits_trailing_365d": "commits, 365 days", "commits": "commits, all time"},
        horizontal=True,
    )
    charts.show(fig, top, key="contributors", file_name=f"{name}-top-contributors")


def _responsiveness(repo: str, name: str) -> None:
    f = current().filters
    st.subheader("Responsiveness (monthly)")
    frame = data.fetch(queries.issue_responsiveness(data.table, repo, f.start, f.end), "responsiveness")
    if frame is None:
        return
    st.caption(
        "Medians in hours for the items opened (first response: the first comment, review or review "
        "comment by someone other than the author and not a bot, or a merge by someone else), closed "
        "(issue resolution) or merged (time to merge) in the month. Items opened by bots are left out "
        "whatever the bots filter. Medians only see answered items: the shares answered within 24 h and "
        "7 days count the unanswered ones too."
    )
    latest = frame.dropna(subset=["issue_resolution_hours_median"]).tail(1)
    if not latest.empty:
        row = latest.iloc[0]
        a, b, c = st.columns(3)
        a.metric(
            f"Issue resolution, {formatting.month_name(row.period)}",
            formatting.hours(row.issue_resolution_hours_median),
        )
        b.metric("Issue first response", formatting.hours(row.issue_first_response_hours_median))
        c.metric("Time to merge", formatting.hours(row.time_to_merge_hours_median))
    fig = charts.panels(
        frame,
        "period",
        [
            charts.Panel(
                "Median hours",
                {
                    "issue_first_response_hours_median": "issue first response",
                    "pr_first_response_hours_median": "PR first response",
                    "issue_resolution_hours_median": "issue resolution",
                    "time_to_merge_hours_median": "time to merge",
                },
                y_title="hours",
            ),
            charts.Panel(
                "Share answered within 7 days",
                {
                    "issues_responded_within_7d_share": "issues",
                    "prs_responded_within_7d_share": "PRs",
                },
                percent=True,
            ),
            charts.Panel(
                "Opened in the month and still without a response",
                {"issues_without_response": "issues", "prs_without_response": "PRs"},
                kind="bar",
            ),
        ],
        cols=1,
        x_range=f.x_range("month"),
        row_height=260,
    )
    charts.show(fig, frame, key="responsiveness", file_name=f"{name}-responsiveness-monthly")


def _absence_releases_stars(repo: str, name: str) -> None:
    f = current().filters
    t = data.table
    st.subheader("Contributor absence factor, releases, stars and forks")
    absence = data.fetch(
        queries.contributor_absence(t, repo, f.start, f.end), "the contributor absence factor"
    )
    releases = data.fetch(queries.release_cadence(t, "repository", repo, f.start, f.end), "releases")
    snapshots = data.fetch(queries.repo_snapshots(t, repo, f.start, f.end), "stars and forks")
    if absence is None or releases is None or snapshots is None:
        return
    notes = [
        "Absence factor (CHAOSS, monthly): the fewest authors who made half of the commits of the 12 "
        "months ending with the month; low means the project depends on few people. Bots excluded."
    ]
    if not releases.empty:
        last = releases.iloc[-1]
        notes.append(
            f"GitHub releases (monthly): {int(releases.releases.sum())} in the range; "
            f"{formatting.integer(last.releases_trailing_12m)} in the 12 months to {last.period}; "
            f"{formatting.integer(last.days_since_last_release)} days since the last one at that point."
        )
    notes.append(
        f"Stars and forks: daily snapshots ({len(snapshots)} in the range); history starts with the first "
        "load."
    )
    st.caption(" ".join(notes))
    # one figure, one time axis: monthly rows and daily snapshot rows side by side (lines bridge the gaps)
    frame = (
        absence.merge(releases, on="period", how="outer")
        .merge(snapshots, on="period", how="outer")
        .sort_values("period")
    )
    fig = charts.panels(
        frame,
        "period",
        [
            charts.Panel("Contributor absence factor", {"contributor_absence_factor": "absence factor"}),
            charts.Panel(
                "GitHub releases", {"stable_releases": "stable", "releases": "all releases"}, kind="bar"
            ),
            charts.Panel("Stars and forks", {"stars": "stars", "forks": "forks"}),
        ],
        cols=3,
        x_range=(queries.period_start("month", f.start), f.end),
    )
    charts.show(fig, frame, key="absence-releases-stars", file_name=f"{name}-absence-releases-stars")
