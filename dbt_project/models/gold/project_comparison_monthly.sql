{#-
    One row per tracked project (tracked.yml `projects`) and UTC month, joining the project's
    repository measures and package measures side by side for N-way comparison (filter on
    group_names to compare a tracked.yml group). Months run from the first month either side has
    data to the latest month of either; a side the project does not have is null, a month without
    activity is 0. Measures are those of repo_activity_monthly, contributor_absence_factor,
    repo_snapshot_history (stars / forks at the last snapshot of the month, stars gained over the
    month), package_downloads_monthly and release_cadence (package releases). Rebuilt every run.
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
        repo,
        date_trunc('month', snapshot_date) as month,
        max_by(stars, snapshot_date) as stars,
        max_by(forks, snapshot_date) as forks
    from snapshots
    group by repo, date_trunc('month', snapshot_date)

),

project_months as (

    select
        projects.project,
        repo_activity.month
    from projects
    inner join repo_activity
        on projects.repo = repo_activity.repo

    union distinct

    select
        projects.project,
        downloads.month
    from projects
    inner join downloads
        on projects.package = downloads.package

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
        grid.package,
        grid.month,
        case when grid.repo is not null then coalesce(repo_activity.commits, 0) end as commits,
        case when grid.repo is not null then coalesce(repo_activity.human_commits, 0) end as human_commits,
        case when grid.repo is not null then coalesce(repo_activity.active_authors, 0) end as active_authors,
        case when grid.repo is not null then coalesce(repo_activity.new_contributors, 0) end as new_contributors,
        case when grid.repo is not null then coalesce(repo_activity.issues_opened, 0) end as issues_opened,
        case when grid.repo is not null then coalesce(repo_activity.issues_closed, 0) end as issues_closed,
        case when grid.repo is not null then coalesce(repo_activity.prs_opened, 0) end as prs_opened,
        case when grid.repo is not null then coalesce(repo_activity.prs_merged, 0) end as prs_merged,
        case when grid.repo is not null then coalesce(repo_activity.releases, 0) end as github_releases,
        absence.contributor_absence_factor,
        month_end_snapshots.stars,
        month_end_snapshots.forks,
        month_end_snapshots.stars - previous_snapshots.stars as stars_gained,
        case when grid.package is not null then coalesce(downloads.downloads, 0) end as downloads,
        downloads.downloads_mom_pct_change,
        case when grid.package is not null then coalesce(cadence.releases, 0) end as package_releases
    from grid
    left join repo_activity
        on
            grid.repo = repo_activity.repo
            and grid.month = repo_activity.month
    left join absence
        on
            grid.repo = absence.repo
            and grid.month = absence.month
    left join month_end_snapshots
        on
            grid.repo = month_end_snapshots.repo
            and grid.month = month_end_snapshots.month
    left join month_end_snapshots as previous_snapshots
        on
            grid.repo = previous_snapshots.repo
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
