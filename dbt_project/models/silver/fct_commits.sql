{{ config(materialized='view') }}

{#-
    Commits on the default branch, one per repository (repo_id) and sha, deleted ones left out (a
    force-push that made them unreachable leaves a tombstone). A merge commit (two or more parents) is
    flagged: metrics count it apart from authored commits. is_future_dated: the author date is later
    than the fetch that brought the commit (a wrong clock); it is kept, but no "current" figure counts it.
    A view: a filter on authored_on reaches the partitions and row groups of bronze.github_commits.
-#}

with

commits as (

    select * from {{ ref('github_commits') }}

),

names as (

    select * from {{ ref('dim_repository_names') }}

),

ranked as (

    select
        names.repo_id,
        commits.*,
        -- one row when two tracked names of a renamed repository both hold the commit
        row_number() over (
            partition by names.repo_id, commits.sha, commits.authored_on
            order by commits.fetched_at desc, commits.repo asc
        ) as name_rank
    from commits
    inner join names
        on commits.repo = names.repo

),

final as (

    select
        repo_id,
        sha,
        coalesce(
            {{ identity_key('author_id', 'author_login', 'author_email', 'author_name') }}, 'anonymous'
        ) as identity_key,
        author_id,
        author_login,
        lower(author_email) as author_email,
        author_name,
        author_type,
        author_date,
        authored_on,
        committer_date,
        parent_count,
        parent_count > 1 as is_merge_commit,
        author_date > fetched_at as is_future_dated,
        message_subject,
        load_date,
        fetched_at,
        transformed_at
    from ranked
    where name_rank = 1 and deleted_at is null

)

select * from final
