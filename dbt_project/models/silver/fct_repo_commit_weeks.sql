{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key=['repo_id', 'week'],
        delete_when='commits = 0 and merge_commits = 0',
        properties={'partitioning': "ARRAY['year(week)']", 'sorted_by': "ARRAY['week']"},
    )
}}

{#-
    Commits per repository and ISO week (Monday, UTC) with the distinct people behind them -- people
    are distinct over the week, so a week is not the sum of its days. What the weekly activity grid
    reads. Incremental like fct_repo_commit_days, by week.
-#}

{%- set bronze_commits = ref('github_commits') %}
{%- set identities_relation = ref('dim_contributor_identities') %}
{%- set author_days_relation = ref('fct_author_commit_days') %}
{%- if is_incremental() %}
{%- set since = watermark('transformed_at') %}
    {%- set remapped = query_dates(
        "select cast(transformed_at as date) from " ~ identities_relation ~ " where transformed_at > " ~ since
    ) %}
    {%- set changed_weeks = query_dates(
        "select date_trunc('week', authored_on) from " ~ bronze_commits ~ " where transformed_at > " ~ since
        ~ (
            " union select date_trunc('week', author_days.authored_on) from " ~ author_days_relation ~ " as author_days
            inner join " ~ identities_relation ~ " as identities
                on author_days.identity_key = identities.identity_key
            where identities.transformed_at > " ~ since
        if remapped else "")
    ) %}
{%- endif %}

with

author_days as (

    select * from {{ author_days_relation }}
    {%- if is_incremental() %}
    where {{ in_periods('authored_on', changed_weeks, 'week') }}
    {{ merge_scope(in_periods('dbt_internal_dest.week', changed_weeks, 'week')) }}
    {%- endif %}

),

identities as (

    select * from {{ identities_relation }}

),

people as (

    select
        author_days.*,
        date_trunc('week', author_days.authored_on) as week,
        identities.contributor_id,
        coalesce(identities.contributor_is_bot, false) as is_bot
    from author_days
    left join identities
        on author_days.identity_key = identities.identity_key

),

counted as (

    select
        repo_id,
        week,
        sum(commits) as commits,
        sum(merge_commits) as merge_commits,
        count(distinct contributor_id) filter (where commits > 0) as active_authors,
        count(distinct contributor_id) filter (where commits > 0 and not is_bot) as human_active_authors
    from people
    group by repo_id, week

),

{% if is_incremental() %}
vanished as (

    select
        stored.repo_id,
        stored.week,
        0 as commits,
        0 as merge_commits,
        0 as active_authors,
        0 as human_active_authors
    from {{ this }} as stored
    where
        {{ in_periods('stored.week', changed_weeks, 'week') }}
        and not exists (
            select 1 as found
            from counted
            where counted.repo_id = stored.repo_id and counted.week = stored.week
        )

),

{% endif %}
final as (

    select
        *,
        {{ run_stamp() }} as transformed_at
    from (
        select * from counted
        {%- if is_incremental() %}
        union all
        select * from vanished
        {%- endif %}
    ) as weeks

)

select * from final
