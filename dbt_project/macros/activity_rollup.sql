{#-
    repo_activity_weekly / _monthly: sums of repo_activity_daily over the period (every measure but
    the author counts is additive over days: a contributor is new on exactly one day), plus the
    distinct active authors of the period from the author-day (week) or author-month (month) facts.
    Same grid and the same incremental rule as the daily model, at the period's grain.
-#}
{% macro repo_activity_rollup(grain) %}

{%- set authors_model = 'fct_author_commit_months' if grain == 'month' else 'fct_author_commit_days' -%}
{%- set authors_date = 'month' if grain == 'month' else 'authored_on' -%}
{%- if is_incremental() %}
    {%- set periods = periods_to_rebuild(
        grain,
        activity_changed_dates_sql(watermark_cutoff('loaded_through')),
        '(select ' ~ activity_as_of(ref('dim_repositories')) ~ ' from ' ~ ref('dim_repositories') ~ ')',
        grain,
    ) %}
{%- endif %}

with

repositories as (

    select * from {{ ref('dim_repositories') }}

),

daily as (

    select * from {{ ref('repo_activity_daily') }}
    {%- if is_incremental() %}
        where {{ in_periods('day', grain, periods) }}
    {%- endif %}

),

authors as (

    select * from {{ ref(authors_model) }}
    {%- if is_incremental() %}
        where {{ in_periods(authors_date, grain, periods) }}
    {%- endif %}

),

as_of as (

    select {{ activity_as_of() }} as as_of_date
    from repositories

),

grid as (

    {{ activity_grid(grain) }}

),

{% if is_incremental() %}
stored_bounds as (

    select
        repo,
        min({{ grain }}) as first_period,
        max({{ grain }}) as last_period
    from {{ this }}
    group by repo

),

cells as (

    select grid.*
    from grid
    left join stored_bounds
        on grid.repo = stored_bounds.repo
    where
        {{ in_periods('grid.period', grain, periods) }}
        or stored_bounds.repo is null
        or grid.period not between stored_bounds.first_period and stored_bounds.last_period

),

{% else %}
cells as (

    select * from grid

),

{% endif %}
daily_sums as (

    select
        repo,
        {{ period_start(grain, 'day') }} as period,
        sum(commits) as commits,
        sum(human_commits) as human_commits,
        sum(new_contributors) as new_contributors,
        sum(human_new_contributors) as human_new_contributors,
        sum(issues_opened) as issues_opened,
        sum(issues_closed) as issues_closed,
        sum(prs_opened) as prs_opened,
        sum(prs_merged) as prs_merged,
        sum(releases) as releases,
        max(loaded_through) as load_date
    from daily
    group by repo, {{ period_start(grain, 'day') }}

),

period_authors as (

    select
        repo,
        {{ period_start(grain, authors_date) }} as period,
        count(distinct contributor_id) as active_authors,
        count(distinct contributor_id) filter (where not is_bot) as human_active_authors,
        max(load_date) as load_date
    from authors
    group by repo, {{ period_start(grain, authors_date) }}

),

final as (

    select
        cells.repo,
        cells.period as {{ grain }},
        coalesce(daily_sums.commits, 0) as commits,
        coalesce(daily_sums.human_commits, 0) as human_commits,
        coalesce(period_authors.active_authors, 0) as active_authors,
        coalesce(period_authors.human_active_authors, 0) as human_active_authors,
        coalesce(daily_sums.new_contributors, 0) as new_contributors,
        coalesce(daily_sums.human_new_contributors, 0) as human_new_contributors,
        coalesce(daily_sums.issues_opened, 0) as issues_opened,
        coalesce(daily_sums.issues_closed, 0) as issues_closed,
        coalesce(daily_sums.prs_opened, 0) as prs_opened,
        coalesce(daily_sums.prs_merged, 0) as prs_merged,
        coalesce(daily_sums.releases, 0) as releases,
        {{ greatest_of(['daily_sums.load_date', 'period_authors.load_date']) }} as loaded_through
    from cells
    left join daily_sums
        on
            cells.repo = daily_sums.repo
            and cells.period = daily_sums.period
    left join period_authors
        on
            cells.repo = period_authors.repo
            and cells.period = period_authors.period

)

select * from final

{% endmacro %}
