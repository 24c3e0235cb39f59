{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['repo', 'month'],
    )
}}

{#-
    Per repository and UTC month (same grid as repo_activity_monthly):
      * issue resolution: issues (not PRs) whose latest closed_at falls in the month; closed_at -
        created_at in hours (median, p90);
      * time to first response: issues / PRs opened in the month that have a response; hours from
        created_at to the first comment by someone other than the author and not a bot (median, p90),
        plus how many opened items have no response yet;
      * change request closure ratio (CHAOSS): PRs closed in the month, merged or not / PRs opened in
        the month (null when none opened; can exceed 1);
      * time to merge: PRs merged in the month; merged_at - created_at in hours (median, p90).
    Incremental: months of changed items (opened, closed, every closed date seen, merged; a new
    comment changes an item) and grid months the table does not hold yet are recomputed.
-#}

with

repositories as (

    select * from {{ ref('dim_repositories') }}

),

items as (

    select * from {{ ref('fct_issues_and_pull_requests') }}

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
        items.repo,
        date_trunc('month', item_dates.changed_on) as month
    from items
    cross join unnest(
        concat(array[items.created_on, items.closed_on, items.merged_on], items.closed_dates_seen)
    ) as item_dates (changed_on)
    where
        items.load_date > {{ watermark_cutoff('loaded_through') }}
        and item_dates.changed_on is not null

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
    left join changed_months
        on
            grid.repo = changed_months.repo
            and grid.month = changed_months.month
    where
        changed_months.month is not null
        or stored_bounds.repo is null
        or grid.month not between stored_bounds.first_month and stored_bounds.last_month

),

{% else %}
months as (

    select * from grid

),

{% endif %}
opened as (

    select
        months.repo,
        months.month,
        items.is_pull_request,
        {{ hours_between('items.created_at', 'items.first_response_at') }} as first_response_hours,
        items.load_date
    from months
    inner join items
        on
            months.repo = items.repo
            and months.month = date_trunc('month', items.created_on)

),

issues_closed as (

    select
        months.repo,
        months.month,
        {{ hours_between('items.created_at', 'items.closed_at') }} as resolution_hours
    from months
    inner join items
        on
            months.repo = items.repo
            and months.month = date_trunc('month', items.closed_on)
    where not items.is_pull_request

),

prs_closed as (

    select
        months.repo,
        months.month,
        count(*) as prs_closed
    from months
    inner join items
        on
            months.repo = items.repo
            and months.month = date_trunc('month', items.closed_on)
    where items.is_pull_request
    group by months.repo, months.month

),

prs_merged as (

    select
        months.repo,
        months.month,
        {{ hours_between('items.created_at', 'items.merged_at') }} as merge_hours
    from months
    inner join items
        on
            months.repo = items.repo
            and months.month = date_trunc('month', items.merged_on)
    where items.is_pull_request

),

opened_counts as (

    select
        repo,
        month,
        count_if(not is_pull_request) as issues_opened,
        count_if(not is_pull_request and first_response_hours is null) as issues_without_response,
        count_if(is_pull_request) as prs_opened,
        count_if(is_pull_request and first_response_hours is null) as prs_without_response,
        max(load_date) as load_date
    from opened
    group by repo, month

),

issue_opened as (

    select * from opened where not is_pull_request

),

pr_opened as (

    select * from opened where is_pull_request

),

issue_first_response as (

    {{ median_p90('issue_opened', ['repo', 'month'], 'first_response_hours', 'issue_first_response_hours') }}

),

pr_first_response as (

    {{ median_p90('pr_opened', ['repo', 'month'], 'first_response_hours', 'pr_first_response_hours') }}

),

issue_resolution as (

    {{ median_p90('issues_closed', ['repo', 'month'], 'resolution_hours', 'issue_resolution_hours') }}

),

time_to_merge as (

    {{ median_p90('prs_merged', ['repo', 'month'], 'merge_hours', 'time_to_merge_hours') }}

),

final as (

    select
        months.repo,
        months.month,
        coalesce(opened_counts.issues_opened, 0) as issues_opened,
        coalesce(issue_resolution.issue_resolution_hours_count, 0) as issues_closed,
        issue_resolution.issue_resolution_hours_median,
        issue_resolution.issue_resolution_hours_p90,
        coalesce(issue_first_response.issue_first_response_hours_count, 0) as issues_responded,
        coalesce(opened_counts.issues_without_response, 0) as issues_without_response,
        issue_first_response.issue_first_response_hours_median,
        issue_first_response.issue_first_response_hours_p90,
        coalesce(opened_counts.prs_opened, 0) as prs_opened,
        coalesce(prs_closed.prs_closed, 0) as prs_closed,
        coalesce(time_to_merge.time_to_merge_hours_count, 0) as prs_merged,
        {{ safe_ratio('prs_closed.prs_closed', 'opened_counts.prs_opened') }} as change_request_closure_ratio,
        time_to_merge.time_to_merge_hours_median,
        time_to_merge.time_to_merge_hours_p90,
        coalesce(pr_first_response.pr_first_response_hours_count, 0) as prs_responded,
        coalesce(opened_counts.prs_without_response, 0) as prs_without_response,
        pr_first_response.pr_first_response_hours_median,
        pr_first_response.pr_first_response_hours_p90,
        opened_counts.load_date as loaded_through
    from months
    left join opened_counts
        on
            months.repo = opened_counts.repo
            and months.month = opened_counts.month
    left join issue_resolution
        on
            months.repo = issue_resolution.repo
            and months.month = issue_resolution.month
    left join issue_first_response
        on
            months.repo = issue_first_response.repo
            and months.month = issue_first_response.month
    left join prs_closed
        on
            months.repo = prs_closed.repo
            and months.month = prs_closed.month
    left join time_to_merge
        on
            months.repo = time_to_merge.repo
            and months.month = time_to_merge.month
    left join pr_first_response
        on
            months.repo = pr_first_response.repo
            and months.month = pr_first_response.month

)

select * from final
