{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key=['repo', 'snapshot_date'],
        properties={'partitioning': "ARRAY['month(snapshot_date)']"},
    )
}}

with

snapshots as (

    select * from {{ ref('stg_github__repos') }}
    {%- if is_incremental() %}
    where load_date > {{ watermark_cutoff() }}
    {%- endif %}

),

final as (

    select
        repo,
        snapshot_date,
        stargazers_count as stars,
        forks_count as forks,
        -- the REST API's watchers_count mirrors stargazers; subscribers_count is the real watchers
        watchers_count as watchers,
        subscribers_count as subscribers,
        open_issues_count as open_issues_and_prs,
        is_archived,
        pushed_at,
        load_date
    from snapshots

)

select * from final
