{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['repo', 'month'],
    )
}}

{#-
    CHAOSS Contributor Absence Factor, per repository and UTC month (same grid as
    repo_activity_monthly): over the trailing 12 months ending with the month (the month and the 11
    before), rank human commit authors by commits, most first; the factor is the smallest number of
    authors whose commits add up to more than 50 % of all human commits in the window. Bots are left
    out (they cannot be absent). Null when the window has no human commit.
    Incremental: a changed commit day changes the 12 windows that contain it, so months from the
    changed month to 11 months later are recomputed, with new grid months.
-#}

with

repositories as (

    select * from {{ ref('dim_repositories') }}

),

author_days as (

    select * from {{ ref('fct_author_commit_days') }}

),

as_of as (

    select {{ greatest_of(['max(last_activity_on)', 'max(load_date)']) }} as as_of_date
    from repositories

),

grid as (

    select
        repositories.repo,
        months.month
    from repositories
    cross join as_of
    cross join unnest(
        sequence(
            date_trunc('month', repositories.first_activity_on),
            date_trunc('month', as_of.as_of_date),
            interval '1' month
        )
    ) as months (month)
    where repositories.first_activity_on is not null

),

{% if is_incremental() %}
changed_months as (

    select distinct
        repo,
        date_trunc('month', authored_on) as month
    from author_days
    where load_date > {{ watermark_cutoff('loaded_through') }}

),

stored_bounds as (

    select
        repo,
        min(month) as first_month,
        max(month) as last_month
    from {{ this }}
    group by repo

),

months as (

    select distinct
        grid.repo,
        grid.month
    from grid
    left join stored_bounds
        on grid.repo = stored_bounds.repo
    where
        stored_bounds.repo is null
        or grid.month not between stored_bounds.first_month and stored_bounds.last_month
        or exists (
            select 1
            from changed_months
            where
                changed_months.repo = grid.repo
                and grid.month between changed_months.month and changed_months.month + interval '11' month
        )

),

{% else %}
months as (

    select * from grid

),

{% endif %}
author_months as (

    select
        repo,
        contributor_id,
        date_trunc('month', authored_on) as month,
        sum(commits) as commits,
        max(load_date) as load_date
    from author_days
    where not is_bot
    group by repo, contributor_id, date_trunc('month', authored_on)

),

window_authors as (

    select
        months.repo,
        months.month,
        author_months.contributor_id,
        sum(author_months.commits) as commits,
        max(author_months.load_date) as load_date
    from months
    inner join author_months
        on
            months.repo = author_months.repo
            and author_months.month between months.month - interval '11' month and months.month
    group by months.repo, months.month, author_months.contributor_id

),

ranked as (

    select
        *,
        sum(commits) over (partition by repo, month) as window_commits,
        sum(commits) over (
            partition by repo, month
            order by commits desc, contributor_id
            rows between unbounded preceding and current row
        ) as cumulative_commits,
        row_number() over (partition by repo, month order by commits desc, contributor_id) as author_rank
    from window_authors

),

windows as (

    select
        repo,
        month,
        max(window_commits) as commits_trailing_12m,
        count(*) as authors_trailing_12m,
        -- the first rank at which the running total passes half of the window's commits
        min(author_rank) filter (where cumulative_commits * 2 > window_commits) as contributor_absence_factor,
        max(commits) as top_author_commits,
        max(load_date) as load_date
    from ranked
    group by repo, month

),

final as (

    select
        months.repo,
        months.month,
        cast(months.month - interval '11' month as date) as window_start_month,
        coalesce(windows.commits_trailing_12m, 0) as commits_trailing_12m,
        coalesce(windows.authors_trailing_12m, 0) as authors_trailing_12m,
        windows.contributor_absence_factor,
        {{ safe_ratio('windows.top_author_commits', 'windows.commits_trailing_12m') }} as top_author_share,
        windows.load_date as loaded_through
    from months
    left join windows
        on
            months.repo = windows.repo
            and months.month = windows.month

)

select * from final
