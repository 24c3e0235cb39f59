{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key=['repo', 'contributor_id'],
    )
}}

{#-
    Each commit author of each repository: first and last commit (UTC author date) and the set of UTC
    days with commits. first_commit_at is what makes someone a new contributor of a period;
    commit_dates lets an incremental gold build find the period a contributor *used to* be new in when
    an older commit of theirs arrives late (a rebased pull request). Incremental: recombined with the
    stored row (min, max, set union), equal to the full-history values.
-#}

with

commits as (

    select * from {{ ref('fct_commits') }}
    {%- if is_incremental() %}
    where load_date > {{ watermark_cutoff() }}
    {%- endif %}

),

{% if is_incremental() %}
changed_pairs as (

    select distinct
        repo,
        contributor_id
    from commits

),

{% endif %}
appearances as (

    select
        repo,
        contributor_id,
        bool_or(is_bot) as is_bot,
        {{ utc('min(author_date)') }} as first_commit_at,
        {{ utc('max(author_date)') }} as last_commit_at,
        array_agg(distinct authored_on) as commit_dates,
        max(load_date) as load_date
    from commits
    group by repo, contributor_id

    {%- if is_incremental() %}

    union all

    select
        stored.repo,
        stored.contributor_id,
        stored.is_bot,
        stored.first_commit_at,
        stored.last_commit_at,
        stored.commit_dates,
        stored.load_date
    from {{ this }} as stored
    inner join changed_pairs as changed
        on
            stored.repo = changed.repo
            and stored.contributor_id = changed.contributor_id
    {%- endif %}

),

final as (

    select
        repo,
        contributor_id,
        bool_or(is_bot) as is_bot,
        min(first_commit_at) as first_commit_at,
        max(last_commit_at) as last_commit_at,
        array_sort(array_distinct(flatten(array_agg(commit_dates)))) as commit_dates,
        max(load_date) as load_date
    from appearances
    group by repo, contributor_id

)

select * from final
