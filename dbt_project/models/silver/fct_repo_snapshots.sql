{{ config(materialized='view') }}

{#- The daily repository snapshots by repo_id (one per day; the latest fetched when two names overlap). -#}

with

snapshots as (

    select * from {{ ref('github_repos') }}

),

names as (

    select * from {{ ref('dim_repository_names') }}

),

ranked as (

    select
        names.repo_id,
        snapshots.snapshot_date,
        snapshots.stargazers_count,
        snapshots.forks_count,
        snapshots.watchers_count,
        snapshots.subscribers_count,
        snapshots.open_issues_count,
        snapshots.is_archived,
        snapshots.pushed_at,
        snapshots.load_date,
        snapshots.fetched_at,
        row_number() over (
            partition by names.repo_id, snapshots.snapshot_date
            order by snapshots.fetched_at desc, snapshots.repo asc
        ) as name_rank
    from snapshots
    inner join names
        on snapshots.repo = names.repo

),

final as (

    select
        repo_id,
        snapshot_date,
        stargazers_count as stars,
        forks_count as forks,
        -- the REST API's watchers_count mirrors stargazers; subscribers_count is the real watchers
        watchers_count as watchers,
        subscribers_count as subscribers,
        open_issues_count as open_issues_and_prs,
        is_archived,
        pushed_at,
        load_date,
        fetched_at
    from ranked
    where name_rank = 1

)

select * from final
