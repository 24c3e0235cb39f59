{#-
    Development activity per repository and ISO week (Monday to Sunday, UTC): sums of
    repo_activity_daily, except the author counts, which are distinct over the week. The week holding
    the as-of date is partial (is_partial). Definitions: repo_activity_weekly.yml.
-#}

with

repositories as (

    select * from {{ ref('dim_repositories') }}

),

daily as (

    select * from {{ ref('repo_activity_daily') }}

),

commit_weeks as (

    select * from {{ ref('fct_repo_commit_weeks') }}

),

contributor_days as (

    -- the days of the weeks holding an as-of date (their people are counted up to that date)
    select * from {{ ref('fct_contributor_commit_days') }}
    where authored_on >= (
        select min(date_trunc('week', as_of.as_of_date)) as first_week
        from {{ ref('dim_repositories') }} as as_of
    )

),

day_sums as (

    select
        repo_id,
        date_trunc('week', day) as week,
        count(*) as days_in_data,
        sum(commits) as commits,
        sum(human_commits) as human_commits,
        sum(merge_commits) as merge_commits,
        sum(new_contributors) as new_contributors,
        sum(human_new_contributors) as human_new_contributors,
        sum(issues_opened) as issues_opened,
        sum(human_issues_opened) as human_issues_opened,
        sum(issues_closed) as issues_closed,
        sum(prs_opened) as prs_opened,
        sum(human_prs_opened) as human_prs_opened,
        sum(prs_merged) as prs_merged,
        sum(human_prs_merged) as human_prs_merged,
        sum(releases) as releases
    from daily
    group by repo_id, date_trunc('week', day)

),

week_authors as (

    -- complete weeks: the people of the week
    select
        commit_weeks.repo_id,
        commit_weeks.week,
        commit_weeks.active_authors,
        commit_weeks.human_active_authors
    from commit_weeks
    inner join repositories
        on commit_weeks.repo_id = repositories.repo_id
    where commit_weeks.week < date_trunc('week', repositories.as_of_date)

    union all

    -- the week holding the as-of date: the people of its days up to the as-of date
    select
        contributor_days.repo_id,
        date_trunc('week', contributor_days.authored_on) as week,
        count(distinct contributor_days.contributor_id) as active_authors,
        count(distinct contributor_days.contributor_id) filter (where not contributor_days.is_bot)
            as human_active_authors
    from contributor_days
    inner join repositories
        on contributor_days.repo_id = repositories.repo_id
    where
        contributor_days.contributor_id <> 'anonymous'
        and contributor_days.commits > 0
        and contributor_days.authored_on
        between date_trunc('week', repositories.as_of_date) and repositories.as_of_date
    group by contributor_days.repo_id, date_trunc('week', contributor_days.authored_on)

),

final as (

    select
        day_sums.repo_id,
        repositories.repo,
        day_sums.week,
        {{ period_end('week', 'day_sums.week') }} > repositories.as_of_date as is_partial,
        day_sums.days_in_data,
        day_sums.commits,
        day_sums.human_commits,
        day_sums.merge_commits,
        coalesce(week_authors.active_authors, 0) as active_authors,
        coalesce(week_authors.human_active_authors, 0) as human_active_authors,
        day_sums.new_contributors,
        day_sums.human_new_contributors,
        day_sums.issues_opened,
        day_sums.human_issues_opened,
        day_sums.issues_closed,
        day_sums.prs_opened,
        day_sums.human_prs_opened,
        day_sums.prs_merged,
        day_sums.human_prs_merged,
        day_sums.releases
    from day_sums
    inner join repositories
        on day_sums.repo_id = repositories.repo_id
    left join week_authors
        on
            day_sums.repo_id = week_authors.repo_id
            and day_sums.week = week_authors.week

)

select * from final
