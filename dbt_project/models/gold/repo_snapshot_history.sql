{#-
    The daily repository snapshots: stars, forks, watchers (the API's watchers_count, which GitHub keeps
    equal to stars), subscribers (people watching notifications: the watchers of the web UI) and open
    issues (GitHub's open_issues_count, which includes open pull requests), with the change since the
    previous snapshot. One row per repository and snapshot date; a day without a snapshot has no row
    (GitHub has no history: it starts with the first load). Definitions: repo_snapshot_history.yml.
-#}

with

repositories as (

    select * from {{ ref('dim_repositories') }}

),

snapshots as (

    select * from {{ ref('fct_repo_snapshots') }}

),

final as (

    select
        snapshots.repo_id,
        repositories.repo,
        snapshots.snapshot_date,
        snapshots.stars,
        snapshots.forks,
        snapshots.watchers,
        snapshots.subscribers,
        snapshots.open_issues_and_prs as open_issues,
        snapshots.stars - lag(snapshots.stars) over (
            partition by snapshots.repo_id order by snapshots.snapshot_date
        ) as stars_change,
        snapshots.forks - lag(snapshots.forks) over (
            partition by snapshots.repo_id order by snapshots.snapshot_date
        ) as forks_change,
        snapshots.is_archived
    from snapshots
    inner join repositories
        on snapshots.repo_id = repositories.repo_id

)

select * from final
