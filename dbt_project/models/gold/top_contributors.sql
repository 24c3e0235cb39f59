{#-
    The commit authors (people) of each repository, ranked among humans by authored commits, all time
    and in the 365 days ending with the repository's as-of date. Definitions: top_contributors.yml.
-#}

with

repositories as (

    select * from {{ ref('dim_repositories') }}

),

contributors as (

    select * from {{ ref('dim_contributors') }}

),

contributor_months as (

    select * from {{ ref('fct_contributor_commit_months') }}
    where contributor_id <> 'anonymous'

),

contributor_days as (

    select * from {{ ref('fct_contributor_commit_days') }}
    where
        contributor_id <> 'anonymous'
        -- the earliest day any repository's trailing window starts (Trino prunes the older partitions)
        and authored_on >= (
            select date_add('day', -364, min(earliest.as_of_date)) as window_start
            from {{ ref('dim_repositories') }} as earliest
        )

),

all_time as (

    -- whole months before the as-of month, then the days of the as-of month up to the as-of date:
    -- commits dated after it (wrong clocks) are left out
    select
        repo_id,
        contributor_id,
        sum(commits) as commits,
        sum(merge_commits) as merge_commits,
        min(first_commit_on) as first_commit_on,
        max(last_commit_on) as last_commit_on
    from (
        select
            contributor_months.repo_id,
            contributor_months.contributor_id,
            contributor_months.commits,
            contributor_months.merge_commits,
            contributor_months.first_commit_on,
            contributor_months.last_commit_on
        from contributor_months
        inner join repositories
            on contributor_months.repo_id = repositories.repo_id
        where contributor_months.month < date_trunc('month', repositories.as_of_date)

        union all

        select
            contributor_days.repo_id,
            contributor_days.contributor_id,
            contributor_days.commits,
            contributor_days.merge_commits,
            case when contributor_days.commits > 0 then contributor_days.authored_on end as first_commit_on,
            case when contributor_days.commits > 0 then contributor_days.authored_on end as last_commit_on
        from contributor_days
        inner join repositories
            on contributor_days.repo_id = repositories.repo_id
        where
            contributor_days.authored_on >= date_trunc('month', repositories.as_of_date)
            and contributor_days.authored_on <= repositories.as_of_date
    ) as counted_periods
    group by repo_id, contributor_id

),

trailing as (

    select
        contributor_days.repo_id,
        contributor_days.contributor_id,
        sum(contributor_days.commits) as commits
    from contributor_days
    inner join repositories
        on contributor_days.repo_id = repositories.repo_id
    where
        contributor_days.authored_on
        between date_add('day', -364, repositories.as_of_date) and repositories.as_of_date
    group by contributor_days.repo_id, contributor_days.contributor_id

),

counted as (

    select
        all_time.*,
        coalesce(trailing.commits, 0) as commits_trailing_365d,
        contributors.display_name,
        contributors.login,
        contributors.is_bot
    from all_time
    inner join contributors
        on all_time.contributor_id = contributors.contributor_id
    left join trailing
        on
            all_time.repo_id = trailing.repo_id
            and all_time.contributor_id = trailing.contributor_id
    where all_time.commits > 0 or all_time.merge_commits > 0

),

final as (

    select
        counted.repo_id,
        repositories.repo,
        counted.contributor_id,
        counted.display_name,
        counted.login,
        counted.is_bot,
        counted.commits,
        counted.merge_commits,
        counted.first_commit_on,
        counted.last_commit_on,
        counted.commits_trailing_365d,
        case
            when not counted.is_bot and counted.commits > 0
                then rank() over (
                    partition by counted.repo_id, counted.is_bot, counted.commits > 0
                    order by counted.commits desc
                )
        end as rank_all_time,
        case
            when not counted.is_bot and counted.commits_trailing_365d > 0
                then rank() over (
                    partition by counted.repo_id, counted.is_bot, counted.commits_trailing_365d > 0
                    order by counted.commits_trailing_365d desc
                )
        end as rank_trailing_365d,
        repositories.as_of_date
    from counted
    inner join repositories
        on counted.repo_id = repositories.repo_id

)

select * from final
