{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key=['repo', 'contributor_id', 'month'],
    )
}}

{#-
    Commits per repository, author and UTC month (sums of fct_author_commit_days): what trailing
    12-month and all-time author measures read (contributor absence factor, top contributors).
    Incremental: months with a changed author day are recomputed whole.
-#}

{%- if is_incremental() %}
    {%- set changed_months = query_dates(
        "select date_trunc('month', authored_on) from " ~ ref('fct_author_commit_days')
        ~ " where load_date > " ~ watermark_cutoff()
    ) %}
{%- endif %}

with

author_days as (

    select * from {{ ref('fct_author_commit_days') }}
    {%- if is_incremental() %}
    where {{ in_periods('authored_on', 'month', changed_months) }}
    {%- endif %}

),

final as (

    select
        repo,
        contributor_id,
        date_trunc('month', authored_on) as month,
        bool_or(is_bot) as is_bot,
        sum(commits) as commits,
        max(load_date) as load_date
    from author_days
    group by repo, contributor_id, date_trunc('month', authored_on)

)

select * from final
