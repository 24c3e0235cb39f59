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
        state_reason,
        author_id,
        author_login,
        is_bot_author,
        created_at,
        created_on,
        closed_at,
        closed_on,
        closed_dates_seen,
        first_response_at,
        comment_count,
        load_date
    from items
    where not is_pull_request

)

select * from final
