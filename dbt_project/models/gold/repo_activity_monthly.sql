{#-
    Development activity per repository and calendar month (UTC): sums of repo_activity_daily, except
    the author counts, which are distinct over the month. The month holding the as-of date is partial
    (is_partial). Definitions: repo_activity_monthly.yml.
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

),

day_sums as (

    select
        repo_id,
        date_trunc('month', day) as month,
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
    group by repo_id, date_trunc('month', day)

),

month_authors as (

    -- a person counts when they authored a commit in the month on or before the as-of date
    select
        contributor_months.repo_id,
        contributor_months.month,
        count(distinct contributor_months.contributor_id) as active_authors,
        count(distinct contributor_months.contributor_id) filter (where not contributor_months.is_bot)
            as human_active_authors
    from contributor_months
    inner join repositories
        on contributor_months.repo_id = repositories.repo_id
    where
        contributor_months.contributor_id <> 'anonymous'
        and contributor_months.commits > 0
        and contributor_months.first_commit_on <= repositories.as_of_date
    group by contributor_months.repo_id, contributor_months.month

),

final as (

    select
        day_sums.repo_id,
        repositories.repo,
        day_sums.month,
        {{ period_end('month', 'day_sums.month') }} > repositories.as_of_date as is_partial,
        day_sums.days_in_data,
        day_sums.commits,
        day_sums.human_commits,
        day_sums.merge_commits,
        coalesce(month_authors.active_authors, 0) as active_authors,
        coalesce(month_authors.human_active_authors, 0) as human_active_authors,
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
    left join month_authors
        on
            day_sums.repo_id = month_authors.repo_id
            and day_sums.month = month_authors.month

)

select * from final
