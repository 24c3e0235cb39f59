{#-
    CHAOSS Contributor Absence Factor per repository and UTC month: over the 12 months ending with the
    month, the smallest number of people whose authored commits (merge commits and bots left out) add
    up to more than half of the window's. Definitions: contributor_absence_factor.yml.
-#}

with

repositories as (

    select * from {{ ref('dim_repositories') }}

),

daily as (

    select * from {{ ref('repo_activity_daily') }}

),

contributor_months as (

    select * from {{ ref('fct_contributor_commit_months') }}
    where contributor_id <> 'anonymous' and not is_bot and commits > 0

),

subjects as (

    select
        repositories.repo_id,
        repositories.repo,
        min(daily.day) as first_day,
        repositories.as_of_date
    from repositories
    inner join daily
        on repositories.repo_id = daily.repo_id
    group by repositories.repo_id, repositories.repo, repositories.as_of_date

),

grid as (

    {{ period_grid('subjects', ['repo_id', 'repo', 'as_of_date'], 'first_day', 'as_of_date', 'month') }}

),

window_authors as (

    select
        grid.repo_id,
        grid.period as month,
        contributor_months.contributor_id,
        sum(contributor_months.commits) as commits
    from grid
    inner join contributor_months
        on
            grid.repo_id = contributor_months.repo_id
            -- the window of the grid month: month - 11 .. month
            and grid.period between contributor_months.month and contributor_months.month + interval '11' month
            -- the as-of month counts only up to the as-of date
            and grid.as_of_date >= contributor_months.first_commit_on
    group by grid.repo_id, grid.period, contributor_months.contributor_id

),

ranked as (

    select
        *,
        sum(commits) over (partition by repo_id, month) as window_commits,
        -- a fixed order (ties by contributor_id): the running total at rank k is the sum of the k
        -- largest counts whichever tied author comes first
        sum(commits) over (
            partition by repo_id, month
            order by commits desc, contributor_id asc
            rows between unbounded preceding and current row
        ) as cumulative_commits,
        row_number() over (partition by repo_id, month order by commits desc, contributor_id asc) as author_rank
    from window_authors

),

windows as (

    select
        repo_id,
        month,
        max(window_commits) as commits_trailing_12m,
        count(*) as authors_trailing_12m,
        -- the first rank at which the running total passes half of the window's commits
        min(author_rank) filter (where cumulative_commits * 2 > window_commits) as contributor_absence_factor,
        max(commits) as top_author_commits
    from ranked
    group by repo_id, month

),

final as (

    select
        grid.repo_id,
        grid.repo,
        grid.period as month,
        cast(grid.period - interval '11' month as date) as window_start_month,
        {{ period_end('month', 'grid.period') }} > grid.as_of_date as is_partial,
        coalesce(windows.commits_trailing_12m, 0) as commits_trailing_12m,
        coalesce(windows.authors_trailing_12m, 0) as authors_trailing_12m,
        windows.contributor_absence_factor,
        {{ safe_ratio('windows.top_author_commits', 'windows.commits_trailing_12m') }} as top_author_share
    from grid
    left join windows
        on
            grid.repo_id = windows.repo_id
            and grid.period = windows.month

)

select * from final
