{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key='contributor_id',
    )
}}

{%- set cutoff = watermark_cutoff() if is_incremental() else none %}

{#-
    Everyone seen as a commit author, issue / pull request author or commenter, by contributor_id (the
    GitHub login, else the login of a noreply address, else `email:<address>`, else `name:<name>`).
    is_bot: GitHub account type Bot, a login ending in [bot], or a login in var bot_logins
    (OSSPULSE_BOT_LOGINS). Incremental: new appearances are recombined with the stored row (min, max, or).
    Changing the bot list needs a --full-refresh of silver and gold.
-#}

with

commits as (

    select
        contributor_id,
        is_bot,
        authored_on as seen_on,
        load_date
    from {{ ref('fct_commits') }}
    {%- if is_incremental() %}
    where load_date > {{ cutoff }}
    {%- endif %}

),

items as (

    select
        author_id as contributor_id,
        is_bot_author as is_bot,
        created_on as seen_on,
        load_date
    from {{ ref('fct_issues_and_pull_requests') }}
    where
        author_id is not null
        {%- if is_incremental() %}
        and load_date > {{ cutoff }}
        {%- endif %}

),

comments as (

    select
        commenter_id as contributor_id,
        is_bot,
        created_on as seen_on,
        load_date
    from {{ ref('fct_issue_comments') }}
    where
        commenter_id is not null
        {%- if is_incremental() %}
        and load_date > {{ cutoff }}
        {%- endif %}

),

appearances as (

    select
        contributor_id,
        is_bot,
        seen_on as first_seen_on,
        seen_on as last_seen_on,
        load_date
    from commits

    union all

    select
        contributor_id,
        is_bot,
        seen_on as first_seen_on,
        seen_on as last_seen_on,
        load_date
    from items

    union all

    select
        contributor_id,
        is_bot,
        seen_on as first_seen_on,
        seen_on as last_seen_on,
        load_date
    from comments

    {%- if is_incremental() %}

    union all

    select
        contributor_id,
        is_bot,
        first_seen_on,
        last_seen_on,
        load_date
    from {{ this }}
    where
        contributor_id in (
            select commits.contributor_id from commits
            union distinct
            select items.contributor_id from items
            union distinct
            select comments.contributor_id from comments
        )
    {%- endif %}

),

final as (

    select
        contributor_id,
        case
            when contributor_id not like 'email:%' and contributor_id not like 'name:%' then contributor_id
        end as login,
        bool_or(is_bot) as is_bot,
        min(first_seen_on) as first_seen_on,
        max(last_seen_on) as last_seen_on,
        max(load_date) as load_date
    from appearances
    group by contributor_id

)

select * from final
