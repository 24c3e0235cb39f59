{{ config(materialized='view') }}

with

items as (

    select * from {{ ref('fct_issues_and_pull_requests') }}

),

final as (

    select
        repo,
        number,
        issue_id,
        title,
        state,
        is_draft,
        author_id,
        author_login,
        is_bot_author,
        created_at,
        created_on,
        closed_at,
        closed_on,
        closed_dates_seen,
        merged_at,
        merged_on,
        is_merged,
        first_response_at,
        comment_count,
        load_date
    from items
    where is_pull_request

)

select * from final
