{#-
    Each person who committed to each repository: their first and last day with an authored commit,
    their authored and merge commits (all loaded history), and whether they are a bot. What makes
    someone a new contributor of a day (first_commit_on). A table over the monthly author facts
    (one row per repository, identity and month), rebuilt every run: a person's identities merged or
    a first commit deleted show at once.
-#}

with

author_months as (

    select * from {{ ref('fct_author_commit_months') }}

),

identities as (

    select * from {{ ref('dim_contributor_identities') }}

),

final as (

    select
        author_months.repo_id,
        identities.contributor_id,
        bool_or(coalesce(identities.contributor_is_bot, false)) as is_bot,
        min(author_months.first_commit_on) as first_commit_on,
        max(author_months.last_commit_on) as last_commit_on,
        sum(author_months.commits) as commits,
        sum(author_months.merge_commits) as merge_commits
    from author_months
    inner join identities
        on author_months.identity_key = identities.identity_key
    group by author_months.repo_id, identities.contributor_id

)

select * from final
