{{ config(materialized='view') }}

{#- Commits per repository, person and UTC month: fct_author_commit_months mapped to people (see
    fct_contributor_commit_days). -#}

with

author_months as (

    select * from {{ ref('fct_author_commit_months') }}

),

identities as (

    select * from {{ ref('dim_contributor_identities') }}

),

contributors as (

    select * from {{ ref('dim_contributors') }}

),

final as (

    select
        author_months.repo_id,
        coalesce(identities.contributor_id, 'anonymous') as contributor_id,
        author_months.month,
        coalesce(contributors.is_bot, false) as is_bot,
        sum(author_months.commits) as commits,
        sum(author_months.merge_commits) as merge_commits,
        min(author_months.first_commit_on) as first_commit_on,
        max(author_months.last_commit_on) as last_commit_on
    from author_months
    left join identities
        on author_months.identity_key = identities.identity_key
    left join contributors
        on identities.contributor_id = contributors.contributor_id
    group by
        author_months.repo_id,
        coalesce(identities.contributor_id, 'anonymous'),
        author_months.month,
        coalesce(contributors.is_bot, false)

)

select * from final
