{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key=['repo', 'contributor_id', 'authored_on'],
        properties={'partitioning': "ARRAY['month(authored_on)']"},
    )
}}

{#-
    Commits per repository, author (contributor_id) and UTC author day: the grain every commit metric
    is built from (fewer rows than fct_commits, month-partitioned). Incremental: the UTC days that
    received a new or changed commit are recomputed whole, reading only those days of fct_commits.
-#}

{%- if is_incremental() %}
    {%- set changed_days = query_dates(
        "select authored_on from " ~ ref('fct_commits') ~ " where load_date > " ~ watermark_cutoff()
    ) %}
{%- endif %}

with

commits as (

    select * from {{ ref('fct_commits') }}
    {%- if is_incremental() %}
    where {{ in_periods('authored_on', 'day', changed_days) }}
    {%- endif %}

),

final as (

    select
        repo,
        contributor_id,
        authored_on,
        bool_or(is_bot) as is_bot,
        count(*) as commits,
        max(load_date) as load_date
    from commits
    group by repo, contributor_id, authored_on

)

select * from final
