{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key=['repo', 'day'],
    )
}}

{#-
    Activity per repository and UTC day (grid: macros/activity.sql). Definitions in
    _gold__models.yml. Incremental: the days touched by changed inputs (activity_changed_dates_sql)
    and days past the last one held are recomputed; commit reads are limited to those days.
-#}

{%- if is_incremental() %}
    {%- set days = periods_to_rebuild(
        'day',
        activity_changed_dates_sql(watermark_cutoff('loaded_through')),
        '(select ' ~ activity_as_of(ref('dim_repositories')) ~ ' from ' ~ ref('dim_repositories') ~ ')',
        'day',
    ) %}
{%- endif %}

with

repositories as (

    select * from {{ ref('dim_repositories') }}

),

author_days as (

    select * from {{ ref('fct_author_commit_days') }}
    {%- if is_incremental() %}
    where {{ in_periods('authored_on', 'day', days) }}
    {%- endif %}

),

repo_contributors as (

    select * from {{ ref('dim_repo_contributors') }}

),

items as (

    select * from {{ ref('fct_issues_and_pull_requests') }}

),

releases as (

    select * from {{ ref('fct_releases') }}

),

as_of as (

    select {{ activity_as_of() }} as as_of_date
    from repositories

),

grid as (

    {{ activity_grid('day') }}

),

{% if is_incremental() %}
stored_bounds as (

    select
        repo,
        min(day) as first_day,
        max(day) as last_day
    from {{ this }}
    group by repo

),

cells as (

    -- rebuilt days, plus days the table does not hold yet (new repositories, earlier first activity)
    select grid.*
    from grid
    left join stored_bounds
        on grid.repo = stored_bounds.repo
    where
        {{ in_periods('grid.period', 'day', days) }}
        or stored_bounds.repo is null
        or grid.period not between stored_bounds.first_day and stored_bounds.last_day

),

{% else %}
cells as (

    select * from grid

),

{% endif %}
commit_measures as (

    select
        repo,
        authored_on as day,
        sum(commits) as commits,
        sum(commits) filter (where not is_bot) as human_commits,
        count(*) as active_authors,
        count_if(not is_bot) as human_active_authors,
        max(load_date) as load_date
    from author_days
    group by repo, authored_on

),

newcomer_measures as (

    select
        repo,
        {{ utc_date('first_commit_at') }} as day,
        count(*) as new_contributors,
        count_if(not is_bot) as human_new_contributors,
        max(load_date) as load_date
    from repo_contributors
    group by repo, {{ utc_date('first_commit_at') }}

),

item_measures as (

    -- one pass over the items: each contributes its opening, closing and merge day
    select
        items.repo,
        events.day,
        count_if(events.event = 'opened' and not items.is_pull_request) as issues_opened,
        count_if(events.event = 'closed' and not items.is_pull_request) as issues_closed,
        count_if(events.event = 'opened' and items.is_pull_request) as prs_opened,
        count_if(events.event = 'merged') as prs_merged,
        max(items.load_date) as load_date
    from items
    cross join
        unnest(
            array['opened', 'closed', 'merged'],
            array[items.created_on, items.closed_on, items.merged_on]
        ) as events (event, day)
    where
        events.day is not null
        {%- if is_incremental() %}
        and {{ in_periods('events.day', 'day', days) }}
        {%- endif %}
    group by items.repo, events.day

),

release_measures as (

    select
        repo,
        published_on as day,
        count(*) as releases,
        max(load_date) as load_date
    from releases
    group by repo, published_on

),

final as (

    select
        cells.repo,
        cells.period as day,
        coalesce(commit_measures.commits, 0) as commits,
        coalesce(commit_measures.human_commits, 0) as human_commits,
        coalesce(commit_measures.active_authors, 0) as active_authors,
        coalesce(commit_measures.human_active_authors, 0) as human_active_authors,
        coalesce(newcomer_measures.new_contributors, 0) as new_contributors,
        coalesce(newcomer_measures.human_new_contributors, 0) as human_new_contributors,
        coalesce(item_measures.issues_opened, 0) as issues_opened,
        coalesce(item_measures.issues_closed, 0) as issues_closed,
        coalesce(item_measures.prs_opened, 0) as prs_opened,
        coalesce(item_measures.prs_merged, 0) as prs_merged,
        coalesce(release_measures.releases, 0) as releases,
        {{ greatest_of([
            'commit_measures.load_date',
            'newcomer_measures.load_date',
            'item_measures.load_date',
            'release_measures.load_date',
        ]) }} as loaded_through
    from cells
    left join commit_measures
        on
            cells.repo = commit_measures.repo
            and cells.period = commit_measures.day
    left join newcomer_measures
        on
            cells.repo = newcomer_measures.repo
            and cells.period = newcomer_measures.day
    left join item_measures
        on
            cells.repo = item_measures.repo
            and cells.period = item_measures.day
    left join release_measures
        on
            cells.repo = release_measures.repo
            and cells.period = release_measures.day

)

select * from final
