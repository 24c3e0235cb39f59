{#-
    Commit authors of each repository, ranked; definitions in _gold__models.yml. Counts come from
    the author-month facts (all time, and the whole months inside the trailing window) and the
    author-day facts of the window's first, partial month. Rebuilt every run (ranks move whenever
    anyone commits or the window slides).
-#}

with

repositories as (

    select * from {{ ref('dim_repositories') }}

),

repo_contributors as (

    select * from {{ ref('dim_repo_contributors') }}

),

author_months as (

    select * from {{ ref('fct_author_commit_months') }}

),

author_days as (

    select * from {{ ref('fct_author_commit_days') }}

),

as_of as (

    select
        {{ activity_as_of() }} as as_of_date,
        -- the trailing 365 days are as_of_date - 364 .. as_of_date
        date_add('day', -364, {{ activity_as_of() }}) as window_start,
        date_trunc('month', date_add('day', -364, {{ activity_as_of() }})) as window_start_month
    from repositories

),

all_time as (

    select
        repo,
        contributor_id,
        sum(commits) as commits,
        max(load_date) as load_date
    from author_months
    group by repo, contributor_id

),

trailing as (

    -- whole months after the window's first month
    select
        author_months.repo,
        author_months.contributor_id,
        author_months.commits
    from author_months
    cross join as_of
    where author_months.month > as_of.window_start_month

    union all

    -- the days of the window's first month that are inside the window
    select
        author_days.repo,
        author_days.contributor_id,
        author_days.commits
    from author_days
    cross join as_of
    where
        author_days.authored_on >= as_of.window_start
        and author_days.authored_on < as_of.window_start_month + interval '1' month

),

trailing_counts as (

    select
        repo,
        contributor_id,
        sum(commits) as commits
    from trailing
    group by repo, contributor_id

),

counts as (

    select
        all_time.repo,
        all_time.contributor_id,
        all_time.commits,
        coalesce(trailing_counts.commits, 0) as commits_trailing_365d,
        all_time.load_date
    from all_time
    left join trailing_counts
        on
            all_time.repo = trailing_counts.repo
            and all_time.contributor_id = trailing_counts.contributor_id

),

final as (

    select
        counts.repo,
        counts.contributor_id,
        case
            when
                counts.contributor_id not like 'email:%'
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
