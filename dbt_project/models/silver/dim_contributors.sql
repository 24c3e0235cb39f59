{#-
    One row per person (contributor_id, see dim_contributor_identities): the latest login and name
    they were seen with, a display name (login, else name, else an anonymous label: e-mail addresses
    are never shown), and is_bot: any of their identities is a bot (GitHub account type Bot, a login
    ending in [bot], or a known automation account: vars known_bot_logins / _emails / _names and
    OSSPULSE_BOT_LOGINS). A table, rebuilt every run.
-#}

with

identities as (

    select * from {{ ref('dim_contributor_identities') }}
    where contributor_id is not null

),

sightings as (

    select * from {{ ref('github_identities') }}

),

seen as (

    select
        identities.*,
        sightings.first_seen_at,
        sightings.last_seen_at
    from identities
    inner join sightings
        on identities.identity_key = sightings.identity_key

),

final as (

    select
        contributor_id,
        max(user_id) as user_id,
        max_by(login, last_seen_at) filter (where login is not null) as login,
        max_by(name, last_seen_at) filter (where name is not null) as name,
        coalesce(
            max_by(login, last_seen_at) filter (where login is not null),
            max_by(name, last_seen_at) filter (where name is not null),
            'author without a GitHub login #' || substr(lower(to_hex(sha256(to_utf8(contributor_id)))), 1, 8)
        ) as display_name,
        bool_or(is_bot) as is_bot,
        count(*) as identities,
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at
    from seen
    group by contributor_id

)

select * from final
