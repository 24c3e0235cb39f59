{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key='repo',
    )
}}

{%- set cutoff = watermark_cutoff() if is_incremental() else none %}

{#-
    One row per repository seen in any GitHub entity. Attributes come from its latest daily snapshot;
    first / last activity are the earliest and latest UTC dates of any commit (author date), issue or
    pull request event (opened, closed, merged), comment or release. Incremental: the repositories in
    new rows are recombined with their stored row (latest snapshot wins; min / max of dates), which is
    what a full refresh computes.
-#}

with

snapshots as (

    select * from {{ ref('stg_github__repos') }}
    {%- if is_incremental() %}
    where load_date > {{ cutoff }}
    {%- endif %}

),

commits as (

    select
        repo,
        authored_on,
        load_date
    from {{ ref('fct_commits') }}
    {%- if is_incremental() %}
    where load_date > {{ cutoff }}
    {%- endif %}

),

items as (

    select
        repo,
        created_on,
        coalesce(merged_on, closed_on, created_on) as last_event_on,
        load_date
    from {{ ref('fct_issues_and_pull_requests') }}
    {%- if is_incremental() %}
    where load_date > {{ cutoff }}
    {%- endif %}

),

comments as (

    select
        repo,
        created_on,
        load_date
    from {{ ref('fct_issue_comments') }}
    {%- if is_incremental() %}
    where load_date > {{ cutoff }}
    {%- endif %}

),

releases as (

    select
        repo,
        published_on,
        load_date
    from {{ ref('fct_releases') }}
    {%- if is_incremental() %}
    where load_date > {{ cutoff }}
    {%- endif %}

),

activity as (

    select
        repo,
        min(authored_on) as first_activity_on,
        max(authored_on) as last_activity_on,
        max(load_date) as load_date
    from commits
    group by repo

    union all

    select
        repo,
        min(created_on) as first_activity_on,
        max(last_event_on) as last_activity_on,
        max(load_date) as load_date
    from items
    group by repo

    union all

    select
        repo,
        min(created_on) as first_activity_on,
        max(created_on) as last_activity_on,
        max(load_date) as load_date
    from comments
    group by repo

    union all

    select
        repo,
        min(published_on) as first_activity_on,
        max(published_on) as last_activity_on,
        max(load_date) as load_date
    from releases
    group by repo

),

candidates as (

    select
        repo,
        repo_id,
        full_name,
        default_branch,
        language,
        license_spdx,
        is_archived,
        is_fork,
        created_at,
        snapshot_date as first_snapshot_date,
        snapshot_date as last_snapshot_date,
        -- the latest snapshot wins; a re-read of the same snapshot date beats the stored row
        date_diff('day', date '1970-01-01', snapshot_date) * 2 + 1 as snapshot_rank,
        cast(null as date) as first_activity_on,
        cast(null as date) as last_activity_on,
        load_date
    from snapshots

    union all

    select
        repo,
        null as repo_id,
        null as full_name,
        null as default_branch,
        null as language,
        null as license_spdx,
        null as is_archived,
        null as is_fork,
        null as created_at,
        null as first_snapshot_date,
        null as last_snapshot_date,
        null as snapshot_rank,
        first_activity_on,
        last_activity_on,
        load_date
    from activity

    {%- if is_incremental() %}

    union all

    select
        repo,
        repo_id,
        full_name,
        default_branch,
        language,
        license_spdx,
        is_archived,
        is_fork,
        created_at,
        first_snapshot_date,
        last_snapshot_date,
        date_diff('day', date '1970-01-01', last_snapshot_date) * 2 as snapshot_rank,
        first_activity_on,
        last_activity_on,
        load_date
    from {{ this }}
    where
        repo in (
            select snapshots.repo from snapshots
            union distinct
            select activity.repo from activity
        )
    {%- endif %}

),

final as (

    select
        repo,
        max_by(repo_id, snapshot_rank) as repo_id,
        max_by(full_name, snapshot_rank) as full_name,
        max_by(default_branch, snapshot_rank) as default_branch,
        max_by(language, snapshot_rank) as language,
        max_by(license_spdx, snapshot_rank) as license_spdx,
        max_by(is_archived, snapshot_rank) as is_archived,
        max_by(is_fork, snapshot_rank) as is_fork,
        max_by(created_at, snapshot_rank) as created_at,
        min(first_snapshot_date) as first_snapshot_date,
        max(last_snapshot_date) as last_snapshot_date,
        min(first_activity_on) as first_activity_on,
        max(last_activity_on) as last_activity_on,
        max(load_date) as load_date
    from candidates
    group by repo

)

select * from final
