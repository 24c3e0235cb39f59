{#-
    Every identity any version of a GitHub record has carried: the user id, login, e-mail address and
    name of commit authors, issue and pull request authors, commenters, reviewers and review
    commenters. Silver maps identities to people (an e-mail that ever appeared with a user id belongs
    to that user), so an identity seen once is kept even after the record it came from changed.

    Incremental: reads the raw rows loaded since its last run and recombines them with the stored
    identities (min / max / or), which is what a full build over every raw version computes. It reads
    five raw tables written by separate loads, so it re-reads the last `identity_lookback_hours` (24)
    before its watermark: a load that committed after a later-started one is never missed.
-#}
{{
    config(
        incremental_strategy='merge',
        unique_key='identity_key',
    )
}}

{%- set lookback_hours = var('identity_lookback_hours', 24) %}
{%- set since = watermark('loaded_at') ~ " - interval '" ~ lookback_hours ~ "' hour" if is_incremental() else none %}

with

commit_authors as (

    select
        cast(json_extract_scalar(payload, '$.author.id') as bigint) as user_id,
        author_login as login,
        author_email as email,
        author_name as name,
        json_extract_scalar(payload, '$.author.type') as user_type,
        fetched_at,
        loaded_at
    from {{ source('raw', 'github_commits') }}
    {%- if is_incremental() %}
    where loaded_at > {{ since }}
    {%- endif %}

),

issue_authors as (

    select
        cast(json_extract_scalar(payload, '$.user.id') as bigint) as user_id,
        user_login as login,
        null as email,
        null as name,
        user_type,
        fetched_at,
        loaded_at
    from {{ source('raw', 'github_issues') }}
    {%- if is_incremental() %}
    where loaded_at > {{ since }}
    {%- endif %}

),

commenters as (

    select
        cast(json_extract_scalar(payload, '$.user.id') as bigint) as user_id,
        user_login as login,
        null as email,
        null as name,
        user_type,
        fetched_at,
        loaded_at
    from {{ source('raw', 'github_issue_comments') }}
    {%- if is_incremental() %}
    where loaded_at > {{ since }}
    {%- endif %}

),

reviewers as (

    select
        user_id,
        user_login as login,
        null as email,
        null as name,
        user_type,
        fetched_at,
        loaded_at
    from {{ source('raw', 'github_pull_reviews') }}
    {%- if is_incremental() %}
    where loaded_at > {{ since }}
    {%- endif %}

),

review_commenters as (

    select
        user_id,
        user_login as login,
        null as email,
        null as name,
        user_type,
        fetched_at,
        loaded_at
    from {{ source('raw', 'github_pull_review_comments') }}
    {%- if is_incremental() %}
    where loaded_at > {{ since }}
    {%- endif %}

),

sightings as (

    select * from commit_authors
    union all
    select * from issue_authors
    union all
    select * from commenters
    union all
    select * from reviewers
    union all
    select * from review_commenters

),

identified as (

    select
        {{ identity_key('user_id', 'login', 'email', 'name') }} as identity_key,
        user_id,
        lower(trim(login)) as login,
        lower(trim(email)) as email,
        nullif(trim(name), '') as name,
        coalesce(lower(user_type) = 'bot', false) as is_bot_account,
        {{ utc('fetched_at') }} as first_seen_at,
        {{ utc('fetched_at') }} as last_seen_at,
        loaded_at
    from sightings

),

candidates as (

    select * from identified
    where identity_key is not null

    {%- if is_incremental() %}

    union all

    select
        identity_key,
        user_id,
        login,
        email,
        name,
        is_bot_account,
        first_seen_at,
        last_seen_at,
        loaded_at
    from {{ this }}
    where identity_key in (select identified.identity_key from identified)
    {%- endif %}

),

final as (

    select
        identity_key,
        -- constant per key up to letter case: the smallest spelling, whichever version came first
        min(user_id) as user_id,
        min(login) as login,
        min(email) as email,
        min(name) as name,
        bool_or(is_bot_account) as is_bot_account,
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at,
        max(loaded_at) as loaded_at,
        {{ run_stamp() }} as transformed_at
    from candidates
    group by identity_key

)

select * from final
