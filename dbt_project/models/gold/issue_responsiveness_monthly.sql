{#-
    Responsiveness per repository and UTC month, over the issues and pull requests opened by people
    (bots' items are left out of every column): time to first response (CHAOSS) with the share
    answered within 24 hours and 7 days, issue resolution, change request closure ratio and time to
    merge. One pass over the items: each contributes its opening, closing and merge month.
    Definitions: issue_responsiveness_monthly.yml.
-#}

with

repositories as (

    select * from {{ ref('dim_repositories') }}

),

daily as (

    select * from {{ ref('repo_activity_daily') }}

),

items as (

    select * from {{ ref('fct_issues_and_pull_requests') }}

),

identities as (

    select * from {{ ref('dim_contributor_identities') }}

),

contributors as (

    select * from {{ ref('dim_contributors') }}

),

subjects as (

    select
        repositories.repo_id,
        repositories.repo,
        min(daily.day) as first_day,
        repositories.as_of_date,
        -- the end of the as-of date: the data is complete up to this moment
        with_timezone(cast(repositories.as_of_date + interval '1' day as timestamp(6)), 'UTC') as as_of_end
    from repositories
    inner join daily
        on repositories.repo_id = daily.repo_id
    group by repositories.repo_id, repositories.repo, repositories.as_of_date

),

grid as (

    {{ period_grid('subjects', ['repo_id', 'repo', 'as_of_date', 'as_of_end'], 'first_day', 'as_of_date', 'month') }}

),

human_items as (

    select
        items.*,
        subjects.as_of_end
    from items
    inner join subjects
        on items.repo_id = subjects.repo_id
    left join identities
        on items.author_identity_key = identities.identity_key
    left join contributors
        on identities.contributor_id = contributors.contributor_id
    where not coalesce(contributors.is_bot, items.is_bot_author)

),

item_facts as (

    -- hours: to first response (opened), to resolution (issues closed), to merge (merged);
    -- eligible_24h / _7d: the item was open for that long before the data ends
    select
        human_items.repo_id,
        facts.month,
        facts.measure,
        facts.hours,
        human_items.created_at <= human_items.as_of_end - interval '1' day as eligible_24h,
        human_items.created_at <= human_items.as_of_end - interval '7' day as eligible_7d
    from human_items
    cross join
        unnest(
            array[
                case when human_items.is_pull_request then 'pr_opened' else 'issue_opened' end,
                case when human_items.is_pull_request then 'pr_closed' else 'issue_closed' end,
                'pr_merged'
            ],
            array[
                date_trunc('month', human_items.created_on),
                date_trunc('month', human_items.closed_on),
                date_trunc('month', human_items.merged_on)
            ],
            array[
                {{ hours_between('human_items.created_at', 'human_items.first_response_at') }},
                case
                    when not human_items.is_pull_request
                        then {{ hours_between('human_items.created_at', 'human_items.closed_at') }}
                end,
                {{ hours_between('human_items.created_at', 'human_items.merged_at') }}
            ]
        ) as facts (measure, month, hours)
    where facts.month is not null

),

ranked as (

    select
        *,
        row_number() over (partition by repo_id, month, measure order by hours) as value_rank,
        count(hours) over (partition by repo_id, month, measure) as value_count
    from item_facts

),

measures as (

    select
        repo_id,
        month,
        count_if(measure = 'issue_opened') as issues_opened,
        count_if(measure = 'issue_opened' and hours is not null) as issues_responded,
        count_if(measure = 'issue_opened' and hours is null) as issues_without_response,
        {{ median_where('hours', "measure = 'issue_opened'") }} as issue_first_response_hours_median,
        {{ p90_where('hours', "measure = 'issue_opened'") }} as issue_first_response_hours_p90,
        {{ safe_ratio(
            "count_if(measure = 'issue_opened' and eligible_24h and hours <= 24)",
            "count_if(measure = 'issue_opened' and eligible_24h)",
        ) }} as issues_responded_within_24h_share,
        {{ safe_ratio(
            "count_if(measure = 'issue_opened' and eligible_7d and hours <= 168)",
            "count_if(measure = 'issue_opened' and eligible_7d)",
        ) }} as issues_responded_within_7d_share,
        count_if(measure = 'issue_closed') as issues_closed,
        {{ median_where('hours', "measure = 'issue_closed'") }} as issue_resolution_hours_median,
        {{ p90_where('hours', "measure = 'issue_closed'") }} as issue_resolution_hours_p90,
        count_if(measure = 'pr_opened') as prs_opened,
        count_if(measure = 'pr_opened' and hours is not null) as prs_responded,
        count_if(measure = 'pr_opened' and hours is null) as prs_without_response,
        {{ median_where('hours', "measure = 'pr_opened'") }} as pr_first_response_hours_median,
        {{ p90_where('hours', "measure = 'pr_opened'") }} as pr_first_response_hours_p90,
        {{ safe_ratio(
            "count_if(measure = 'pr_opened' and eligible_24h and hours <= 24)",
            "count_if(measure = 'pr_opened' and eligible_24h)",
        ) }} as prs_responded_within_24h_share,
        {{ safe_ratio(
            "count_if(measure = 'pr_opened' and eligible_7d and hours <= 168)",
            "count_if(measure = 'pr_opened' and eligible_7d)",
        ) }} as prs_responded_within_7d_share,
        count_if(measure = 'pr_closed') as prs_closed,
        count_if(measure = 'pr_merged') as prs_merged,
        {{ median_where('hours', "measure = 'pr_merged'") }} as time_to_merge_hours_median,
        {{ p90_where('hours', "measure = 'pr_merged'") }} as time_to_merge_hours_p90
    from ranked
    group by repo_id, month

),

final as (

    select
        grid.repo_id,
        grid.repo,
        grid.period as month,
        {{ period_end('month', 'grid.period') }} > grid.as_of_date as is_partial,
        coalesce(measures.issues_opened, 0) as issues_opened,
        coalesce(measures.issues_responded, 0) as issues_responded,
        coalesce(measures.issues_without_response, 0) as issues_without_response,
        measures.issue_first_response_hours_median,
        measures.issue_first_response_hours_p90,
        measures.issues_responded_within_24h_share,
        measures.issues_responded_within_7d_share,
        coalesce(measures.issues_closed, 0) as issues_closed,
        measures.issue_resolution_hours_median,
        measures.issue_resolution_hours_p90,
        coalesce(measures.prs_opened, 0) as prs_opened,
        coalesce(measures.prs_responded, 0) as prs_responded,
        coalesce(measures.prs_without_response, 0) as prs_without_response,
        measures.pr_first_response_hours_median,
        measures.pr_first_response_hours_p90,
        measures.prs_responded_within_24h_share,
        measures.prs_responded_within_7d_share,
        coalesce(measures.prs_closed, 0) as prs_closed,
        coalesce(measures.prs_merged, 0) as prs_merged,
        {{ safe_ratio('measures.prs_closed', 'measures.prs_opened') }} as change_request_closure_ratio,
        measures.time_to_merge_hours_median,
        measures.time_to_merge_hours_p90
    from grid
    left join measures
        on
            grid.repo_id = measures.repo_id
            and grid.period = measures.month

)

select * from final
