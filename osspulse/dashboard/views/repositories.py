"""Repositories: one repository's activity, contributors, responsiveness, stars and releases."""

from __future__ import annotations

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
        queries.repo_activity(t, repo, f.grain, f.start, f.end, f.include_bots),
        queries.top_contributors(t, repo, f.include_bots, search),
        queries.issue_responsiveness(t, repo, f.start, f.end),
        queries.contributor_absence(t, repo, f.start, f.end),
        queries.repo_snapshots(t, repo, f.start, f.end),
        queries.release_cadence(t, "repository", repo, f.start, f.end),
    )

    activity = data.fetch(queries.repo_activity(t, repo, f.grain, f.start, f.end, f.include_bots), "activity")
    left, right = st.columns(2)
    if activity is not None:
        with left:
            st.subheader("Commits and active authors")
            fig = charts.lines(
                activity,
                "period",
                {"commits": "commits", "active_authors": "active authors"},
                x_range=f.x_range(),
            )
            charts.show(fig, activity, key="activity", file_name=f"{name}-activity-{f.grain}")
        with right:
            st.subheader("Issues and pull requests")
            series = {
                "issues_opened": "issues opened",
                "issues_closed": "issues closed",
                "prs_opened": "PRs opened",
                "prs_merged": "PRs merged",
            }
            cols = ["period", *series]
            fig = charts.lines(activity, "period", series, x_range=f.x_range())
            charts.show(fig, activity[cols], key="issues", file_name=f"{name}-issues-prs-{f.grain}")

    left, right = st.columns(2)
    with left:
        st.subheader("Top contributors")
        search = st.text_input(
            "Find a contributor", key="contributor_search", placeholder="login or name", max_chars=100
        )
        top = data.fetch(
            queries.top_contributors(t, repo, f.include_bots, search.strip()), "top contributors"
        )
        if top is not None:
            if top.empty:
                st.info("No contributor matches." if search.strip() else "No commit authors recorded.")
            else:
                as_of = top.as_of_date.iloc[0]
                st.caption(f"Commits in the 365 days ending {as_of} (not the date filter), then all time.")
                fig = charts.bars(
                    top,
                    "contributor",
                    {"commits_trailing_365d": "commits, 365 days", "commits": "commits, all time"},
                    horizontal=True,
                )
                charts.show(fig, top, key="contributors", file_name=f"{name}-top-contributors")
    with right:
        st.subheader("New contributors")
        if activity is not None:
            st.caption("Authors whose first commit to the repository falls in the period.")
            fig = charts.bars(
                activity, "period", {"new_contributors": "new contributors"}, x_range=f.x_range()
            )
            charts.show(
                fig,
                activity[["period", "new_contributors"]],
                key="new-contributors",
                file_name=f"{name}-new-contributors-{f.grain}",
            )

    _responsiveness(repo, name)
    _absence_stars_releases(repo, name)


def _responsiveness(repo: str, name: str) -> None:
    f = current().filters
    frame = data.fetch(queries.issue_responsiveness(data.table, repo, f.start, f.end), "responsiveness")
    if frame is None:
        return
    st.subheader("Issue and pull request responsiveness (monthly)")
    st.caption(
        "Medians in hours for the items opened (first response: the first comment by someone other "
        "than the author and not a bot), closed (issue resolution) or merged (time to merge) in the "
        "month. The bots filter does not apply here."
    )
    left, right = st.columns(2)
    with left:
        series = {
            "issue_first_response_hours_median": "issue first response",
            "pr_first_response_hours_median": "PR first response",
            "issue_resolution_hours_median": "issue resolution",
            "time_to_merge_hours_median": "time to merge",
        }
        fig = charts.lines(frame, "period", series, y_title="hours (median)", x_range=f.x_range("month"))
        charts.show(fig, frame, key="responsiveness", file_name=f"{name}-responsiveness-monthly")
    with right:
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
        fig = charts.bars(
            frame,
            "period",
            {
                "issues_without_response": "issues without response",
                "prs_without_response": "PRs without response",
            },
            x_range=f.x_range("month"),
        )
        unanswered = frame[
            ["period", "issues_opened", "issues_without_response", "prs_opened", "prs_without_response"]
        ]
        charts.show(fig, unanswered, key="unanswered", file_name=f"{name}-without-response-monthly")


def _absence_stars_releases(repo: str, name: str) -> None:
    f = current().filters
    t = data.table
    left, right = st.columns(2)
    with left:
        st.subheader("Contributor absence factor")
        absence = data.fetch(
            queries.contributor_absence(t, repo, f.start, f.end), "the contributor absence factor"
        )
        if absence is not None:
            st.caption(
                "CHAOSS: the fewest authors who made half of the commits of the 12 months ending with "
                "the month (low = the project depends on few people). Bots excluded."
            )
            fig = charts.lines(
                absence,
                "period",
                {"contributor_absence_factor": "absence factor"},
                x_range=f.x_range("month"),
            )
            charts.show(fig, absence, key="absence", file_name=f"{name}-contributor-absence-factor")
    with right:
        st.subheader("Stars and forks")
        snapshots = data.fetch(queries.repo_snapshots(t, repo, f.start, f.end), "stars and forks")
        if snapshots is not None:
            if snapshots.empty:
                st.info("No repository snapshot in the date range.")
            else:
                st.caption(
                    f"Daily snapshots ({len(snapshots)} in the range); history starts with the first load."
                )
                fig = charts.lines(
                    snapshots, "period", {"stars": "stars", "forks": "forks"}, x_range=(f.start, f.end)
                )
                charts.show(fig, snapshots, key="stars", file_name=f"{name}-stars-forks")

    st.subheader("Releases (GitHub, monthly)")
    releases = data.fetch(queries.release_cadence(t, "repository", repo, f.start, f.end), "releases")
    if releases is not None:
        if releases.empty:
            st.info("No GitHub release in the date range.")
        else:
            last = releases.iloc[-1]
            st.caption(
                f"{int(releases.releases.sum())} releases in the range; "
                f"{formatting.integer(last.releases_trailing_12m)} in the 12 months to {last.period}; "
                f"{formatting.integer(last.days_since_last_release)} days since the last one at that point."
            )
            fig = charts.bars(
                releases,
                "period",
                {"stable_releases": "stable", "releases": "all releases"},
                x_range=f.x_range("month"),
            )
            charts.show(fig, releases, key="releases", file_name=f"{name}-releases-monthly")
