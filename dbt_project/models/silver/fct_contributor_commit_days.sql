{{ config(materialized='view') }}

{#-
    Commits per repository, person (contributor_id) and UTC day: fct_author_commit_days with every
    identity mapped to its person (so a login rename or an e-mail later linked to an account is one
    person) and the person's bot flag. Commits of authors who name nobody have the contributor_id
    `anonymous` (never a person).
-#}

with

author_days as (

    select * from {{ ref('fct_author_commit_days') }}

),

identities as (

    select * from {{ ref('dim_contributor_identities') }}

),

contributors as (

    select * from {{ ref('dim_contributors') }}

),

final as (

    select
        author_days.repo_id,
        coalesce(identities.contributor_id, 'anonymous') as contributor_id,
        author_days.authored_on,
        coalesce(contributors.is_bot, false) as is_bot,
        sum(author_days.commits) as commits,
        sum(author_days.merge_commits) as merge_commits
    from author_days
    left join identities
        on author_days.identity_key = identities.identity_key
    left join contributors
        on identities.contributor_id = contributors.contributor_id
    group by
        author_days.repo_id,
        coalesce(identities.contributor_id, 'anonymous'),
        author_days.authored_on,
        coalesce(contributors.is_bot, false)

)

select * from final
