{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key=['repo', 'number', 'created_on'],
        properties={'partitioning': "ARRAY['month(created_on)']"},
    )
}}

{%- set cutoff = watermark_cutoff() if is_incremental() else none %}

{#-
    Issues and pull requests (GitHub numbers both in one sequence), with their first response: the
    earliest comment by someone who is neither the item's author nor a bot. Only conversation comments
    are available (no PR reviews). An incremental run recomputes every item with a new version or a new
    comment; load_date is the latest load_date among the item and its comments, so an item changed by
    a comment alone still counts as changed downstream.
-#}

with

{% if is_incremental() %}
changed_items as (

    select
        repo,
        number
    from {{ ref('stg_github__issues') }}
    where load_date > {{ cutoff }}

    union

    select
        repo,
        issue_number as number
    from {{ ref('fct_issue_comments') }}
    where load_date > {{ cutoff }}

),

{% endif %}
items as (

    select issues.*
    from {{ ref('stg_github__issues') }} as issues
    {%- if is_incremental() %}
        inner join changed_items
            on
                issues.repo = changed_items.repo
                and issues.number = changed_items.number
    {%- endif %}

),

comments as (

    select * from {{ ref('fct_issue_comments') }}

),

authored as (

    select
        *,
        {{ contributor_id('user_login', 'null') }} as author_id
    from items

),

item_comments as (

    select
        authored.repo,
        authored.number,
        comments.comment_id,
        comments.created_at,
        comments.load_date,
        not comments.is_bot
        and comments.commenter_id is distinct from authored.author_id as is_response
    from authored
    inner join comments
        on
            authored.repo = comments.repo
            and authored.number = comments.issue_number

),

first_responses as (

    select
        repo,
        number,
        min(created_at) filter (where is_response) as first_response_at,
        count(*) as comments_loaded,
        max(load_date) as latest_comment_load_date
    from item_comments
    group by repo, number

),

final as (

    select
        authored.repo,
        authored.number,
        authored.issue_id,
        authored.is_pull_request,
        authored.title,
        authored.state,
        authored.state_reason,
        authored.is_draft,
        authored.author_id,
        authored.user_login as author_login,
        {{ is_bot('authored.author_id', 'authored.user_type') }} as is_bot_author,
        authored.author_association,
        authored.created_at,
        {{ utc_date('authored.created_at') }} as created_on,
        authored.updated_at,
        case when authored.state = 'closed' then authored.closed_at end as closed_at,
        case when authored.state = 'closed' then {{ utc_date('authored.closed_at') }} end as closed_on,
        authored.merged_at,
        {{ utc_date('authored.merged_at') }} as merged_on,
        authored.merged_at is not null as is_merged,
        authored.closed_dates_seen,
        first_responses.first_response_at,
        authored.comment_count,
        coalesce(first_responses.comments_loaded, 0) as comments_loaded,
        greatest(
            authored.load_date,
            coalesce(first_responses.latest_comment_load_date, authored.load_date)
        ) as load_date
    from authored
    left join first_responses
        on
            authored.repo = first_responses.repo
            and authored.number = first_responses.number

)

select * from final
