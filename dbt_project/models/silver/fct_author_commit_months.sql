{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key=['repo_id', 'identity_key', 'month'],
        delete_when='commits = 0 and merge_commits = 0',
        properties={'partitioning': "ARRAY['year(month)']", 'sorted_by': "ARRAY['month']"},
    )
}}

{#-
    Commits per repository, author identity and UTC month: sums of fct_author_commit_days, with the
    first and last day of the month the identity committed. What all-time and trailing 12-month author
    measures read (contributor absence factor, top contributors, monthly activity).
    Incremental: the months of author-days written since the last run are recomputed whole.
-#}

{%- if is_incremental() %}
    {%- set changed_months = query_dates(
        "select date_trunc('month', authored_on) from " ~ ref('fct_author_commit_days')
        ~ " where transformed_at > " ~ watermark('transformed_at')
    ) %}
{%- endif %}

with

author_days as (

    select * from {{ ref('fct_author_commit_days') }}
    {%- if is_incremental() %}
    where {{ in_periods('authored_on', changed_months, 'month') }}
    {{ merge_scope(in_periods('dbt_internal_dest.month', changed_months, 'month')) }}
    {%- endif %}

),

summed as (

    select
        repo_id,
        identity_key,
        date_trunc('month', authored_on) as month,
        sum(commits) as commits,
        sum(merge_commits) as merge_commits,
        min(authored_on) filter (where commits > 0) as first_commit_on,
        max(authored_on) filter (where commits > 0) as last_commit_on
    from author_days
    group by repo_id, identity_key, date_trunc('month', authored_on)

),

{% if is_incremental() %}
vanished as (

    select
        stored.repo_id,
        stored.identity_key,
        stored.month,
        0 as commits,
        0 as merge_commits,
        cast(null as date) as first_commit_on,
        cast(null as date) as last_commit_on
    from {{ this }} as stored
    where
        {{ in_periods('stored.month', changed_months, 'month') }}
        and not exists (
            select 1 as found
            from summed
            where
                summed.repo_id = stored.repo_id
                and summed.identity_key = stored.identity_key
                and summed.month = stored.month
        )

),

{% endif %}
final as (

    select
        *,
        {{ run_stamp() }} as transformed_at
    from (
        select * from summed
        {%- if is_incremental() %}
        union all
        select * from vanished
        {%- endif %}
    ) as months

)

select * from final
