{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key=['repo', 'month'],
    )
}}

{#-
    Responsiveness per repository and UTC month (same grid as repo_activity_monthly); definitions in
    _gold__models.yml. One pass over the items: each item contributes its opening month (with its time
    to first response), its closing month (issues: with their resolution time) and its merge month
    (with its time to merge). Incremental: the months of changed items (every date they were opened,
    closed or merged, including closings before a reopen; a new comment changes its item) and months
    past the last one held are recomputed.
-#}

{%- if is_incremental() %}
{%- set cutoff = watermark_cutoff('loaded_through') %}
    {%- set months = periods_to_rebuild(
        'month',
        "select item_dates.changed_on from " ~ ref('fct_issues_and_pull_requests') ~ " as items
        cross join unnest(concat(array[items.created_on, items.closed_on, items.merged_on], items.closed_dates_seen))
            as item_dates (changed_on)
        where items.load_date > " ~ cutoff,
        '(select ' ~ activity_as_of(ref('dim_repositories')) ~ ' from ' ~ ref('dim_repositories') ~ ')',
        'month',
    ) %}
{%- endif %}

with

repositories as (

    select * from {{ ref('dim_repositories') }}

),

items as (

    select * from {{ ref('fct_issues_and_pull_requests') }}

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
item_facts as (

    select
        items.repo,
        facts.month,
        facts.measure,
        facts.hours,
        items.load_date
    from items
    cross join
        unnest(
            array[
                case when items.is_pull_request then 'pr_opened' else 'issue_opened' end,
                case when items.is_pull_request then 'pr_closed' else 'issue_closed' end,
                'pr_merged'
            ],
            array[
                date_trunc('month', items.created_on),
                date_trunc('month', items.closed_on),
                date_trunc('month', items.merged_on)
            ],
            array[
                {{ hours_between('items.created_at', 'items.first_response_at') }},
                case when not items.is_pull_request then {{ hours_between('items.created_at', 'items.closed_at') }} end,
                {{ hours_between('items.created_at', 'items.merged_at') }}
            ]
        ) as facts (measure, month, hours)
    where
        facts.month is not null
        {%- if is_incremental() %}
        and {{ in_periods('facts.month', 'month', months) }}
        {%- endif %}

),

ranked as (

    select
        *,
        row_number() over (partition by repo, month, measure order by hours) as value_rank,
        count(hours) over (partition by repo, month, measure) as value_count
    from item_facts

),

measures as (

    select
        repo,
        month,
        count_if(measure = 'issue_opened') as issues_opened,
        count_if(measure = 'issue_opened' and hours is not null) as issues_responded,
        count_if(measure = 'issue_opened' and hours is null) as issues_without_response,
        {{ median_where('hours', "measure = 'issue_opened'") }} as issue_first_response_hours_median,
        {{ p90_where('hours', "measure = 'issue_opened'") }} as issue_first_response_hours_p90,
        count_if(measure = 'issue_closed') as issues_closed,
        {{ median_where('hours', "measure = 'issue_closed'") }} as issue_resolution_hours_median,
        {{ p90_where('hours', "measure = 'issue_closed'") }} as issue_resolution_hours_p90,
        count_if(measure = 'pr_opened') as prs_opened,
        count_if(measure = 'pr_opened' and hours is not null) as prs_responded,
        count_if(measure = 'pr_opened' and hours is null) as prs_without_response,
        {{ median_where('hours', "measure = 'pr_opened'") }} as pr_first_response_hours_median,
        {{ p90_where('hours', "measure = 'pr_opened'") }} as pr_first_response_hours_p90,
        count_if(measure = 'pr_closed') as prs_closed,
        count_if(measure = 'pr_merged') as prs_merged,
        {{ median_where('hours', "measure = 'pr_merged'") }} as time_to_merge_hours_median,
        {{ p90_where('hours', "measure = 'pr_merged'") }} as time_to_merge_hours_p90,
        max(load_date) as load_date
    from ranked
    group by repo, month

),

final as (

    select
        cells.repo,
        cells.period as month,
        coalesce(measures.issues_opened, 0) as issues_opened,
        coalesce(measures.issues_closed, 0) as issues_closed,
        measures.issue_resolution_hours_median,
        measures.issue_resolution_hours_p90,
        coalesce(measures.issues_responded, 0) as issues_responded,
        coalesce(measures.issues_without_response, 0) as issues_without_response,
        measures.issue_first_response_hours_median,
        measures.issue_first_response_hours_p90,
        coalesce(measures.prs_opened, 0) as prs_opened,
        coalesce(measures.prs_closed, 0) as prs_closed,
        coalesce(measures.prs_merged, 0) as prs_merged,
        {{ safe_ratio('measures.prs_closed', 'measures.prs_opened') }} as change_request_closure_ratio,
        measures.time_to_merge_hours_median,
        measures.time_to_merge_hours_p90,
        coalesce(measures.prs_responded, 0) as prs_responded,
        coalesce(measures.prs_without_response, 0) as prs_without_response,
        measures.pr_first_response_hours_median,
        measures.pr_first_response_hours_p90,
        measures.load_date as loaded_through
    from cells
    left join measures
        on
            cells.repo = measures.repo
            and cells.period = measures.month

)

select * from final
