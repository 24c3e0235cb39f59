{#-
    One row per tracked project (tracked.yml `projects`) and UTC month: the project's repository and
    package measures side by side, for N-way comparison (filter on group_names for a tracked.yml
    group). Months run from the first month either side has data to the latest; a side the project
    does not have, or a month outside that side's data, is null (never zero). Definitions:
    project_comparison_monthly.yml.
-#}

with

projects as (

    select * from {{ ref('dim_projects') }}

),

repo_activity as (

    select * from {{ ref('repo_activity_monthly') }}

),

absence as (

    select * from {{ ref('contributor_absence_factor') }}

),

snapshots as (

    select * from {{ ref('repo_snapshot_history') }}

),

downloads as (

    select * from {{ ref('package_downloads_monthly') }}

),

cadence as (

    select * from {{ ref('release_cadence') }}
    where subject_type = 'package'

),

month_end_snapshots as (

    select
        repo_id,
        date_trunc('month', snapshot_date) as month,
        max_by(stars, snapshot_date) as stars,
        max_by(forks, snapshot_date) as forks
    from snapshots
    group by repo_id, date_trunc('month', snapshot_date)

),

project_months as (

    select
        projects.project,
        repo_activity.month
    from projects
    inner join repo_activity
        on projects.repo_id = repo_activity.repo_id

    union distinct

    select
        projects.project,
        downloads.month
    from projects
    inner join downloads
        on projects.package = downloads.package

    union distinct

    -- release history reaches further back than pypistats' 180 days of downloads
    select
        projects.project,
        cadence.month
    from projects
    inner join cadence
        on projects.package = cadence.subject

),

project_bounds as (

    select
        project,
        min(month) as first_month,
        max(month) as last_month
    from project_months
    group by project

),

grid as (

    select
        projects.project,
        projects.group_names,
        projects.repo,
        projects.repo_id,
        projects.package,
        months.month
    from projects
    inner join project_bounds as bounds
        on projects.project = bounds.project
    cross join unnest(sequence(bounds.first_month, bounds.last_month, interval '1' month)) as months (month)

),

final as (

    select
        grid.project,
        grid.group_names,
        grid.repo,
        grid.repo_id,
        grid.package,
        grid.month,
        repo_activity.is_partial as repo_is_partial,
        repo_activity.commits,
        repo_activity.human_commits,
        repo_activity.merge_commits,
        repo_activity.active_authors,
        repo_activity.human_active_authors,
        repo_activity.new_contributors,
        repo_activity.human_new_contributors,
        repo_activity.issues_opened,
        repo_activity.human_issues_opened,
        repo_activity.issues_closed,
        repo_activity.prs_opened,
        repo_activity.human_prs_opened,
        repo_activity.prs_merged,
        repo_activity.human_prs_merged,
        repo_activity.releases as github_releases,
        absence.contributor_absence_factor,
        month_end_snapshots.stars,
        month_end_snapshots.forks,
        month_end_snapshots.stars - previous_snapshots.stars as stars_gained,
        downloads.is_partial as package_is_partial,
        downloads.downloads,
        downloads.days_reported as downloads_days_reported,
        downloads.downloads_mom_pct_change,
        downloads.avg_daily_downloads_mom_pct_change,
        case
            when downloads.month is not null or cadence.month is not null then coalesce(cadence.releases, 0)
        end as package_releases
    from grid
    left join repo_activity
        on
            grid.repo_id = repo_activity.repo_id
            and grid.month = repo_activity.month
    left join absence
        on
            grid.repo_id = absence.repo_id
            and grid.month = absence.month
    left join month_end_snapshots
        on
            grid.repo_id = month_end_snapshots.repo_id
            and grid.month = month_end_snapshots.month
    left join month_end_snapshots as previous_snapshots
        on
            grid.repo_id = previous_snapshots.repo_id
            and previous_snapshots.month = grid.month - interval '1' month
    left join downloads
        on
            grid.package = downloads.package
            and grid.month = downloads.month
    left join cadence
        on
            grid.package = cadence.subject
            and grid.month = cadence.month

)

select * from final
