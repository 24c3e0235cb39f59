{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['repo', 'authored_on'],
        properties={'partitioning': "ARRAY['month(authored_on)']"},
    )
}}

{#-
    Commits per repository, author and UTC author day: the grain every commit metric is built from
    (half the rows of fct_commits, and month-partitioned). Incremental: the (repo, day) pairs that
    received a new or changed commit are recomputed whole and replace their stored rows
    (unique_key is the replacement key; the row key is repo + contributor_id + authored_on).
-#}

with

{% if is_incremental() %}
changed_days as (

    select distinct
        repo,
        authored_on
    from {{ ref('fct_commits') }}
    where load_date > {{ watermark_cutoff() }}

),

{% endif %}
commits as (

    select commits.*
    from {{ ref('fct_commits') }} as commits
    {%- if is_incremental() %}
        inner join changed_days
            on
                commits.repo = changed_days.repo
                and commits.authored_on = changed_days.authored_on
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
