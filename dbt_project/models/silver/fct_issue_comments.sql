{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key=['repo', 'comment_id', 'created_on'],
        properties={'partitioning': "ARRAY['month(created_on)']"},
    )
}}

with

comments as (

    select * from {{ ref('stg_github__issue_comments') }}
    {%- if is_incremental() %}
    where load_date > {{ watermark_cutoff() }}
    {%- endif %}

),

identified as (

    select
        *,
        {{ contributor_id('user_login', 'null') }} as commenter_id
    from comments

),

final as (

    select
        repo,
        comment_id,
        issue_number,
        commenter_id,
        user_login as commenter_login,
        {{ is_bot('commenter_id', 'user_type') }} as is_bot,
        author_association,
        created_at,
        {{ utc_date('created_at') }} as created_on,
        updated_at,
        load_date
    from identified

)

select * from final
