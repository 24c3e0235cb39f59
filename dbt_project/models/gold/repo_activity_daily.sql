{#-
    Development activity per repository and UTC day, from the repository's first activity to its own
    as-of date (dim_repositories.as_of_date); days after it (activity dated later than the data is
    complete for, including commits from wrong clocks) are not counted. Definitions: repo_activity_daily.yml.
-#}

{#- sorted by day in small row groups: readers of the last days (repo_headlines) skip the rest -#}
{{ config(properties={'sorted_by': "ARRAY['day']"}) }}

with

repositories as (

    select * from {{ ref('dim_repositories') }}

),

commit_days as (

    select * from {{ ref('fct_repo_commit_days') }}

),

repo_contributors as (

    select * from {{ ref('dim_repo_contributors') }}

),

items as (

    select * from {{ ref('fct_issues_and_pull_requests') }}

),

releases as (

    select * from {{ ref('fct_releases') }}

),

identities as (

    select * from {{ ref('dim_contributor_identities') }}

),

item_authors as (

    select
        items.*,
        coalesce(identities.contributor_is_bot, items.is_bot_author) as is_bot
    from items
    left join identities
        on items.author_identity_key = identities.identity_key

),

first_activity as (

    select
        repo_id,
        min(authored_on) as first_day
    from commit_days
    group by repo_id

    union all

    select
        repo_id,
        min(created_on) as first_day
    from items
    group by repo_id

    union all

    select
        repo_id,
        min(published_on) as first_day
    from releases
    group by repo_id

),

subjects as (

    select
        repositories.repo_id,
        repositories.repo,
        min(first_activity.first_day) as first_day,
        repositories.as_of_date
    from repositories
    inner join first_activity
        on repositories.repo_id = first_activity.repo_id
    group by repositories.repo_id, repositories.repo, repositories.as_of_date

),

grid as (

    {{ period_grid('subjects', ['repo_id', 'repo'], 'first_day', 'as_of_date', 'day') }}

),

commit_measures as (

    select
        repo_id,
        authored_on as day,
        commits,
        human_commits,
        merge_commits,
        active_authors,
        human_active_authors
    from commit_days

),

newcomer_measures as (

    -- people whose first authored commit to the repository was written on the day
    select
        repo_id,
        first_commit_on as day,
        count(*) as new_contributors,
        count_if(not is_bot) as human_new_contributors
    from repo_contributors
    where first_commit_on is not null
    group by repo_id, first_commit_on

),

item_measures as (

    -- one pass over the items: each contributes its opening, closing and merge day
    select
        item_authors.repo_id,
        events.day,
        count_if(events.event = 'opened' and not item_authors.is_pull_request) as issues_opened,
        count_if(events.event = 'opened' and not item_authors.is_pull_request and not item_authors.is_bot)
            as human_issues_opened,
        count_if(events.event = 'closed' and not item_authors.is_pull_request) as issues_closed,
        count_if(events.event = 'opened' and item_authors.is_pull_request) as prs_opened,
        count_if(events.event = 'opened' and item_authors.is_pull_request and not item_authors.is_bot)
            as human_prs_opened,
        count_if(events.event = 'merged') as prs_merged,
        count_if(events.event = 'merged' and not item_authors.is_bot) as human_prs_merged
    from item_authors
    cross join
        unnest(
            array['opened', 'closed', 'merged'],
            array[item_authors.created_on, item_authors.closed_on, item_authors.merged_on]
        ) as events (event, day)
    where events.day is not null
    group by item_authors.repo_id, events.day

),

release_measures as (

    select
        repo_id,
        published_on as day,
        count(*) as releases
    from releases
    group by repo_id, published_on

),

final as (

    select
        grid.repo_id,
        grid.repo,
        grid.period as day,
        coalesce(commit_measures.commits, 0) as commits,
        coalesce(commit_measures.human_commits, 0) as human_commits,
        coalesce(commit_measures.merge_commits, 0) as merge_commits,
        coalesce(commit_measures.active_authors, 0) as active_authors,
        coalesce(commit_measures.human_active_authors, 0) as human_active_authors,
        coalesce(newcomer_measures.new_contributors, 0) as new_contributors,
        coalesce(newcomer_measures.human_new_contributors, 0) as human_new_contributors,
        coalesce(item_measures.issues_opened, 0) as issues_opened,
        coalesce(item_measures.human_issues_opened, 0) as human_issues_opened,
        coalesce(item_measures.issues_closed, 0) as issues_closed,
        coalesce(item_measures.prs_opened, 0) as prs_opened,
        coalesce(item_measures.human_prs_opened, 0) as human_prs_opened,
        coalesce(item_measures.prs_merged, 0) as prs_merged,
        coalesce(item_measures.human_prs_merged, 0) as human_prs_merged,
        coalesce(release_measures.releases, 0) as releases
    from grid
    left join commit_measures
        on
            grid.repo_id = commit_measures.repo_id
            and grid.period = commit_measures.day
    left join newcomer_measures
        on
            grid.repo_id = newcomer_measures.repo_id
            and grid.period = newcomer_measures.day
    left join item_measures
        on
            grid.repo_id = item_measures.repo_id
            and grid.period = item_measures.day
    left join release_measures
        on
            grid.repo_id = release_measures.repo_id
            and grid.period = release_measures.day

)

select * from final
