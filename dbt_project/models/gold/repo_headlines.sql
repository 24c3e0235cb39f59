{#-
    One row per repository: the Overview's figures, each over a window that ends at the repository's
    own as-of date (not today). Definitions: repo_headlines.yml.
-#}

with

repositories as (

    select * from {{ ref('dim_repositories') }}

),

daily as (

    select * from {{ ref('repo_activity_daily') }}

),

contributor_days as (

    select * from {{ ref('fct_contributor_commit_days') }}
    -- the earliest day any repository's window starts (Trino prunes the older partitions)
    where authored_on >= (
        select date_add('day', -89, min(earliest.as_of_date)) as window_start
        from {{ ref('dim_repositories') }} as earliest
    )

),

snapshots as (

    select * from {{ ref('repo_snapshot_history') }}

),

responsiveness as (

    select * from {{ ref('issue_responsiveness_monthly') }}

),

windows as (

    select
        repo_id,
        as_of_date,
        date_add('day', -89, as_of_date) as window_start,
        -- the latest calendar month that ends on or before the as-of date
        date_add('month', -1, date_trunc('month', date_add('day', 1, as_of_date))) as last_complete_month
    from repositories

),

activity as (

    select
        daily.repo_id,
        min(daily.day) as first_activity_on,
        max(daily.day) filter (
            where daily.commits + daily.merge_commits + daily.issues_opened + daily.prs_opened + daily.releases > 0
        ) as last_activity_on,
        sum(daily.commits) filter (where daily.day >= windows.window_start) as commits_90d,
        sum(daily.human_commits) filter (where daily.day >= windows.window_start) as human_commits_90d,
        sum(daily.merge_commits) filter (where daily.day >= windows.window_start) as merge_commits_90d
    from daily
    inner join windows
        on daily.repo_id = windows.repo_id
    group by daily.repo_id

),

authors as (

    select
        contributor_days.repo_id,
        count(distinct contributor_days.contributor_id) as active_authors_90d,
        count(distinct contributor_days.contributor_id) filter (where not contributor_days.is_bot)
            as human_active_authors_90d
    from contributor_days
    inner join windows
        on contributor_days.repo_id = windows.repo_id
    where
        contributor_days.contributor_id <> 'anonymous'
        and contributor_days.commits > 0
        and contributor_days.authored_on between windows.window_start and windows.as_of_date
    group by contributor_days.repo_id

),

future_dated as (

    select
        contributor_days.repo_id,
        sum(contributor_days.commits + contributor_days.merge_commits) as commits_after_as_of
    from contributor_days
    inner join windows
        on contributor_days.repo_id = windows.repo_id
    where contributor_days.authored_on > windows.as_of_date
    group by contributor_days.repo_id

),

stars as (

    select
        snapshots.repo_id,
        max_by(snapshots.stars, snapshots.snapshot_date) as stars,
        max(snapshots.snapshot_date) as stars_on
    from snapshots
    inner join windows
        on snapshots.repo_id = windows.repo_id
    where snapshots.snapshot_date <= windows.as_of_date
    group by snapshots.repo_id

),

final as (

    select
        repositories.repo_id,
        repositories.repo,
        repositories.as_of_date,
        windows.window_start,
        activity.first_activity_on,
        activity.last_activity_on,
        stars.stars,
        stars.stars_on,
        coalesce(activity.commits_90d, 0) as commits_90d,
        coalesce(activity.human_commits_90d, 0) as human_commits_90d,
        coalesce(activity.merge_commits_90d, 0) as merge_commits_90d,
        coalesce(authors.active_authors_90d, 0) as active_authors_90d,
        coalesce(authors.human_active_authors_90d, 0) as human_active_authors_90d,
        windows.last_complete_month,
        responsiveness.issues_closed as issues_closed_last_complete_month,
        responsiveness.issue_resolution_hours_median as issue_resolution_hours_median_last_complete_month,
        coalesce(future_dated.commits_after_as_of, 0) as commits_after_as_of
    from repositories
    inner join windows
        on repositories.repo_id = windows.repo_id
    left join activity
        on repositories.repo_id = activity.repo_id
    left join authors
        on repositories.repo_id = authors.repo_id
    left join future_dated
        on repositories.repo_id = future_dated.repo_id
    left join stars
        on repositories.repo_id = stars.repo_id
    left join responsiveness
        on
            repositories.repo_id = responsiveness.repo_id
            and windows.last_complete_month = responsiveness.month

)

select * from final
