{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key=['repo', 'sha', 'authored_on'],
        properties={'partitioning': "ARRAY['month(authored_on)']"},
    )
}}

with

commits as (

    select * from {{ ref('stg_github__commits') }}
    {%- if is_incremental() %}
    where load_date > {{ watermark_cutoff() }}
    {%- endif %}

),

identified as (

    select
        *,
        -- an author with neither login, e-mail nor name is `unknown` (counted as one author)
        coalesce({{ contributor_id('author_login', 'author_email', 'author_name') }}, 'unknown') as contributor_id
    from commits

),

final as (

    select
        repo,
        sha,
        contributor_id,
        author_login,
        author_name,
        lower(author_email) as author_email,
        {{ is_bot('contributor_id', 'author_type') }} as is_bot,
        author_date,
        {{ utc_date('author_date') }} as authored_on,
        committer_date,
        parent_count > 1 as is_merge_commit,
        load_date
    from identified

)

select * from final
