{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key=['repo', 'number', 'created_on'],
        properties={'partitioning': "ARRAY['month(created_on)']"},
    )
}}

{#-
    Issues and pull requests (GitHub numbers both in one sequence) with their first response: the
    earliest comment by someone who is neither the item's author nor a bot. Only conversation comments
    are available (no PR reviews). load_date is the latest load_date of the item and its comments, so
    an item changed by a comment alone counts as changed downstream.

    Incremental: the items with a new version, and the items with a new comment (looked up by number),
    are merged. Comments never change author or time, so an item's first response is the earlier of
    the stored one and the first qualifying new comment; items new to the table read all their
    comments (from the earliest creation day among them).
-#}

{%- if is_incremental() -%}
{%- set cutoff = watermark_cutoff() -%}
{%- set comment_only_items = items_with_only_new_comments(cutoff) -%}
{%- set first_new_day = first_day_of_new_items(cutoff) -%}
{%- endif %}

with

issues as (

    select * from {{ ref('stg_github__issues') }}
    {%- if is_incremental() %}
    where load_date > {{ cutoff }}
    {%- if comment_only_items %}

    union all

    -- the items whose only news is a comment, looked up by number (numbers grow with time, so the
    -- list prunes files; a separate scan, because an `or` with the load_date filter would not)
    select * from {{ ref('stg_github__issues') }}
    where load_date <= {{ cutoff }} and {{ repo_number_in(comment_only_items) }}
    {%- endif %}
    {%- endif %}

),

comments as (

    select * from {{ ref('fct_issue_comments') }}
    {%- if is_incremental() %}
    where load_date > {{ cutoff }}
    {%- if first_new_day %}

    union distinct

    select * from {{ ref('fct_issue_comments') }}
    where created_on >= date '{{ first_new_day[0] }}'
    {%- endif %}
    {%- endif %}

),

authored as (

    select
        *,
        {{ utc_date('created_at') }} as created_on,
        {{ contributor_id('user_login', 'null') }} as author_id
    from issues

),

{% if is_incremental() %}
stored as (

    select
        stored.repo,
        stored.number,
        stored.first_response_at,
        stored.load_date
    from {{ this }} as stored
    inner join authored
        on
            stored.repo = authored.repo
            and stored.number = authored.number
            -- the partition column: the lookup reads only the partitions of the changed items
            and stored.created_on = authored.created_on

),

{% endif %}
responses as (

    select
        authored.repo,
        authored.number,
        min(comments.created_at) filter (
            where not comments.is_bot and comments.commenter_id is distinct from authored.author_id
        ) as first_response_at,
        max(comments.load_date) as latest_comment_load_date
    from authored
    inner join comments
        on
            authored.repo = comments.repo
            and authored.number = comments.issue_number
    group by authored.repo, authored.number

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
        authored.created_on,
        authored.updated_at,
        case when authored.state = 'closed' then authored.closed_at end as closed_at,
        case when authored.state = 'closed' then {{ utc_date('authored.closed_at') }} end as closed_on,
        authored.merged_at,
        {{ utc_date('authored.merged_at') }} as merged_on,
        authored.merged_at is not null as is_merged,
        authored.closed_dates_seen,
        {%- if is_incremental() %}
        least(
            coalesce(responses.first_response_at, stored.first_response_at),
            coalesce(stored.first_response_at, responses.first_response_at)
        ) as first_response_at,
        {%- else %}
        responses.first_response_at,
        {%- endif %}
        authored.comment_count,
        {{ greatest_of([
            'authored.load_date',
            'responses.latest_comment_load_date',
            'stored.load_date' if is_incremental() else 'null',
        ]) }} as load_date
    from authored
    left join responses
        on
            authored.repo = responses.repo
            and authored.number = responses.number
    {%- if is_incremental() %}
    left join stored
        on
            authored.repo = stored.repo
            and authored.number = stored.number
    {%- endif %}

)

select * from final
