{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key=['repo', 'month'],
    )
}}

{#-
    CHAOSS Contributor Absence Factor per repository and UTC month (same grid as
    repo_activity_monthly); definition in _gold__models.yml. Incremental: a changed author-month
    changes the 12 windows that contain it, so the months from it to 11 months later are recomputed
    (with months past the last one held), reading only the author-months of their windows.
-#}

{%- if is_incremental() %}
    {%- set months = periods_to_rebuild(
        'month',
        "select month from " ~ ref('fct_author_commit_months') ~ " where load_date > "
            ~ watermark_cutoff('loaded_through'),
        '(select ' ~ activity_as_of(ref('dim_repositories')) ~ ' from ' ~ ref('dim_repositories') ~ ')',
        'month',
        window=11,
    ) %}
{%- set windows = [] %}
{%- for month in months %}
        {%- do windows.append(["date '" ~ month ~ "' - interval '11' month", "date '" ~ month ~ "'"]) %}
    {%- endfor %}
{%- endif %}

with

repositories as (

    select * from {{ ref('dim_repositories') }}

),

author_months as (

    select * from {{ ref('fct_author_commit_months') }}
    where
        not is_bot
        and {{ in_ranges('month', windows) if is_incremental() else 'true' }}

),

as_of as (

    select {{ activity_as_of() }} as as_of_date
    from repositories

),

grid as (

    {{ activity_grid('month') }}

),

{% if is_incremental() %}
stored_bounds as (

    select
        repo,
        min(month) as first_month,
        max(month) as last_month
    from {{ this }}
    group by repo

),

cells as (

    select grid.*
    from grid
    left join stored_bounds
        on grid.repo = stored_bounds.repo
    where
        {{ in_periods('grid.period', 'month', months) }}
        or stored_bounds.repo is null
        or grid.period not between stored_bounds.first_month and stored_bounds.last_month

),

{% else %}
cells as (

    select * from grid

),

{% endif %}
window_authors as (

    select
        cells.repo,
        cells.period as month,
        author_months.contributor_id,
        sum(author_months.commits) as commits,
        max(author_months.load_date) as load_date
    from cells
    inner join author_months
        on
            cells.repo = author_months.repo
            and author_months.month between cells.period - interval '11' month and cells.period
    group by cells.repo, cells.period, author_months.contributor_id

),

ranked as (

    select
        *,
        sum(commits) over (partition by repo, month) as window_commits,
        -- a fixed order (ties by contributor_id): the running total at rank k is the sum of the k
        -- largest counts whichever tied author comes first
        sum(commits) over (
            partition by repo, month
            order by commits desc, contributor_id asc
            rows between unbounded preceding and current row
        ) as cumulative_commits,
        row_number() over (partition by repo, month order by commits desc, contributor_id asc) as author_rank
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
        cells.repo,
        cells.period as month,
        cast(cells.period - interval '11' month as date) as window_start_month,
        coalesce(windows.commits_trailing_12m, 0) as commits_trailing_12m,
        coalesce(windows.authors_trailing_12m, 0) as authors_trailing_12m,
        windows.contributor_absence_factor,
        {{ safe_ratio('windows.top_author_commits', 'windows.commits_trailing_12m') }} as top_author_share,
        windows.load_date as loaded_through
    from cells
    left join windows
        on
            cells.repo = windows.repo
            and cells.period = windows.month

)

select * from final
