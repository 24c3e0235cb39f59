{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key='identity_key',
        update_changed_only=true,
    )
}}

{#-
    Every identity (bronze.github_identities) mapped to a person, `contributor_id`:
      1. `github:<user id>` when the identity carries a GitHub user id, or a noreply address carries one
         (12345+alice@users.noreply.github.com), or its e-mail address ever appeared with a user id
         (the user seen with it most recently), or its login belongs to a user id (its latest holder);
      2. otherwise `login:<login>` (also the login of an id-less noreply address);
      3. otherwise `email:<first 16 hex digits of the address's SHA-256>` (addresses never reach gold);
      4. otherwise `name:<lower-cased name>`.
    So a login rename keeps one person (same id), a commit first loaded with an e-mail and re-read with
    a login is one person, and authors who name nobody are nobody (never one "unknown" person).
    contributor_is_bot: the person is a bot (any of their identities is).

    Every run maps every identity again (a few thousand rows); the merge rewrites only the identities
    whose mapping changed, so transformed_at says when an identity last moved to another person (or its
    person became a bot): the commit aggregates recompute that identity's days.
-#}

with

identities as (

    select * from {{ ref('github_identities') }}

),

email_users as (

    select
        email,
        max_by(user_id, last_seen_at) as user_id
    from identities
    where user_id is not null and email is not null
    group by email

),

login_users as (

    select
        login,
        max_by(user_id, last_seen_at) as user_id
    from identities
    where user_id is not null and login is not null
    group by login

),

resolved as (

    select
        identities.*,
        coalesce(
            identities.user_id,
            {{ noreply_user_id('identities.email') }},
            email_users.user_id,
            login_users.user_id,
            noreply_users.user_id
        ) as resolved_user_id,
        coalesce(identities.login, {{ noreply_login('identities.email') }}) as resolved_login
    from identities
    left join email_users
        on identities.email = email_users.email
    left join login_users
        on identities.login = login_users.login
    left join login_users as noreply_users
        on {{ noreply_login('identities.email') }} = noreply_users.login

),

mapped as (

    select
        identity_key,
        case
            when resolved_user_id is not null then 'github:' || cast(resolved_user_id as varchar)
            when resolved_login is not null then 'login:' || resolved_login
            when email is not null then 'email:' || substr(lower(to_hex(sha256(to_utf8(email)))), 1, 16)
            when name is not null then 'name:' || lower(name)
        end as contributor_id,
        resolved_user_id as user_id,
        login,
        email,
        name,
        is_bot_account or {{ is_bot('login', 'null', 'email', 'name') }} as is_bot
    from resolved

),

final as (

    select
        *,
        bool_or(is_bot) over (partition by contributor_id) as contributor_is_bot,
        {{ run_stamp() }} as transformed_at
    from mapped

)

select * from final
