{#-
    Commit authors of each repository, ranked. One row per repository and contributor_id (GitHub login,
    else noreply-address login, else `email:<address>`). commits counts commits on the default branch
    by UTC author date; commits_trailing_365d those authored in the 365 days ending with the as-of date
    (the latest load or activity date of the GitHub data). Ranks are among humans (bots get null):
    rank() by commits, most first, ties share a rank; rank_trailing_365d only for authors with commits
    in the window. Rebuilt every run (ranks move whenever anyone commits or the window slides).
-#}

with

repositories as (

    select * from {{ ref('dim_repositories') }}

),

repo_contributors as (

    select * from {{ ref('dim_repo_contributors') }}

),

author_days as (

    select * from {{ ref('fct_author_commit_days') }}

),

as_of as (

    select {{ greatest_of(['max(last_activity_on)', 'max(load_date)']) }} as as_of_date
    from repositories

),

counts as (

    select
        author_days.repo,
        author_days.contributor_id,
        sum(author_days.commits) as commits,
        coalesce(
            sum(author_days.commits) filter (
                where author_days.authored_on > as_of.as_of_date - interval '365' day
            ),
            0
        ) as commits_trailing_365d,
        max(author_days.load_date) as load_date
    from author_days
    cross join as_of
    group by author_days.repo, author_days.contributor_id

),

final as (

    select
        counts.repo,
        counts.contributor_id,
        case
            when counts.contributor_id not like 'email:%'
                and counts.contributor_id not like 'name:%'
                and counts.contributor_id <> 'unknown'
                then counts.contributor_id
        end as login,
        repo_contributors.is_bot,
        counts.commits,
        repo_contributors.first_commit_at,
        repo_contributors.last_commit_at,
        counts.commits_trailing_365d,
        case
            when not repo_contributors.is_bot
                then rank() over (
                    partition by counts.repo, repo_contributors.is_bot
                    order by counts.commits desc
                )
        end as rank_all_time,
        case
            when not repo_contributors.is_bot and counts.commits_trailing_365d > 0
                then rank() over (
                    partition by
                        counts.repo,
                        repo_contributors.is_bot,
                        counts.commits_trailing_365d > 0
                    order by counts.commits_trailing_365d desc
                )
        end as rank_trailing_365d,
        as_of.as_of_date,
        counts.load_date as loaded_through
    from counts
    inner join repo_contributors
        on
            counts.repo = repo_contributors.repo
            and counts.contributor_id = repo_contributors.contributor_id
    cross join as_of

)

select * from final
