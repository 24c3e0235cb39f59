{#-
    repo_activity_daily / _weekly / _monthly share this SQL; `grain` is day | week | month and is also
    the name of the period column (its first day, UTC; weeks start on Monday, ISO 8601).

    The grid: every repository has one row per period from the period of its first activity to the
    period of the global as-of date (the latest load_date or activity date of any GitHub row), zeros
    included.

    Incremental (delete+insert on repo + period): a run recomputes the affected cells only:
      * periods of changed inputs (load_date above the watermark): commit days, item created / closed /
        merged dates and every closed date an item ever had (a reopened issue leaves the period it was
        counted in), release dates, the first commit date of contributors whose history changed and the
        first commit date they had before (the earliest commit day not among the changed ones);
      * grid cells the table does not hold yet (new periods, new repositories).
-#}
{% macro repo_activity(grain) %}

with

repositories as (

    select * from {{ ref('dim_repositories') }}

),

author_days as (

    select * from {{ ref('fct_author_commit_days') }}

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

as_of as (

    select {{ greatest_of(['max(last_activity_on)', 'max(load_date)']) }} as as_of_date
    from repositories

),

grid as (

    select
        repositories.repo,
        periods.period
    from repositories
    cross join as_of
    cross join unnest(
        sequence(
            {{ period_start(grain, 'repositories.first_activity_on') }},
            {{ period_start(grain, 'as_of.as_of_date') }},
            {{ period_step(grain) }}
        )
    ) as periods (period)
    where repositories.first_activity_on is not null

),

{% if is_incremental() %}
changed_author_days as (

    select
        repo,
        contributor_id,
        authored_on
    from author_days
    where load_date > {{ watermark_cutoff('loaded_through') }}

),

changed_dates as (

    select
        repo,
        authored_on as changed_on
    from changed_author_days

    union

    select
        repo,
        {{ utc_date('first_commit_at') }} as changed_on
    from repo_contributors
    where load_date > {{ watermark_cutoff('loaded_through') }}

    union

    -- the first commit day a contributor had before this run's commits arrived
    select
        repo_contributors.repo,
        array_min(array_except(repo_contributors.commit_dates, changed.dates)) as changed_on
    from repo_contributors
    inner join (
        select
            repo,
            contributor_id,
            array_agg(authored_on) as dates
        from changed_author_days
        group by repo, contributor_id
    ) as changed
        on
            repo_contributors.repo = changed.repo
            and repo_contributors.contributor_id = changed.contributor_id

    union

    select
        items.repo,
        item_dates.changed_on
    from items
    cross join unnest(
        concat(
            array[items.created_on, items.closed_on, items.merged_on],
            items.closed_dates_seen
        )
    ) as item_dates (changed_on)
    where items.load_date > {{ watermark_cutoff('loaded_through') }}

    union

    select
        repo,
        published_on as changed_on
    from releases
    where load_date > {{ watermark_cutoff('loaded_through') }}

),

stored_bounds as (

    select
        repo,
        min({{ grain }}) as first_period,
        max({{ grain }}) as last_period
    from {{ this }}
    group by repo

),

cells as (

    select distinct
        grid.repo,
        grid.period
    from grid
    left join stored_bounds
        on grid.repo = stored_bounds.repo
    left join (
        select distinct
            repo,
            {{ period_start(grain, 'changed_on') }} as period
        from changed_dates
        where changed_on is not null
    ) as changed
        on
            grid.repo = changed.repo
            and grid.period = changed.period
    where
        changed.period is not null
        or stored_bounds.repo is null
        or grid.period < stored_bounds.first_period
        or grid.period > stored_bounds.last_period

),

{% else %}
cells as (

    select * from grid

),

{% endif %}
cell_days as (

    select
        cells.repo,
        cells.period,
        days.day
    from cells
    cross join unnest(sequence(cells.period, {{ period_end(grain, 'cells.period') }})) as days (day)

),

commit_measures as (

    select
        cell_days.repo,
        cell_days.period,
        sum(author_days.commits) as commits,
        sum(author_days.commits) filter (where not author_days.is_bot) as human_commits,
        count(distinct author_days.contributor_id) as active_authors,
        count(distinct author_days.contributor_id) filter (where not author_days.is_bot) as human_active_authors,
        max(author_days.load_date) as load_date
    from cell_days
    inner join author_days
        on
            cell_days.repo = author_days.repo
            and cell_days.day = author_days.authored_on
    group by cell_days.repo, cell_days.period

),

newcomer_measures as (

    select
        cells.repo,
        cells.period,
        count(*) as new_contributors,
        count_if(not repo_contributors.is_bot) as human_new_contributors,
        max(repo_contributors.load_date) as load_date
    from cells
    inner join repo_contributors
        on
            cells.repo = repo_contributors.repo
            and cells.period = {{ period_start(grain, utc_date('repo_contributors.first_commit_at')) }}
    group by cells.repo, cells.period

),

item_events as (

    select
        repo,
        {{ period_start(grain, 'created_on') }} as period,
        case when is_pull_request then 'pr_opened' else 'issue_opened' end as event,
        load_date
    from items

    union all

    select
        repo,
        {{ period_start(grain, 'closed_on') }} as period,
        case when is_pull_request then 'pr_closed' else 'issue_closed' end as event,
        load_date
    from items
    where closed_on is not null

    union all

    select
        repo,
        {{ period_start(grain, 'merged_on') }} as period,
        'pr_merged' as event,
        load_date
    from items
    where merged_on is not null

),

item_measures as (

    select
        cells.repo,
        cells.period,
        count_if(item_events.event = 'issue_opened') as issues_opened,
        count_if(item_events.event = 'issue_closed') as issues_closed,
        count_if(item_events.event = 'pr_opened') as prs_opened,
        count_if(item_events.event = 'pr_merged') as prs_merged,
        max(item_events.load_date) as load_date
    from cells
    inner join item_events
        on
            cells.repo = item_events.repo
            and cells.period = item_events.period
    group by cells.repo, cells.period

),

release_measures as (

    select
        cells.repo,
        cells.period,
        count(*) as releases,
        max(releases.load_date) as load_date
    from cells
    inner join releases
        on
            cells.repo = releases.repo
            and cells.period = {{ period_start(grain, 'releases.published_on') }}
    group by cells.repo, cells.period

),

final as (

    select
        cells.repo,
        cells.period as {{ grain }},
        coalesce(commit_measures.commits, 0) as commits,
        coalesce(commit_measures.human_commits, 0) as human_commits,
        coalesce(commit_measures.active_authors, 0) as active_authors,
        coalesce(commit_measures.human_active_authors, 0) as human_active_authors,
        coalesce(newcomer_measures.new_contributors, 0) as new_contributors,
        coalesce(newcomer_measures.human_new_contributors, 0) as human_new_contributors,
        coalesce(item_measures.issues_opened, 0) as issues_opened,
        coalesce(item_measures.issues_closed, 0) as issues_closed,
        coalesce(item_measures.prs_opened, 0) as prs_opened,
        coalesce(item_measures.prs_merged, 0) as prs_merged,
        coalesce(release_measures.releases, 0) as releases,
        {{ greatest_of([
            'commit_measures.load_date',
            'newcomer_measures.load_date',
            'item_measures.load_date',
            'release_measures.load_date',
        ]) }} as loaded_through
    from cells
    left join commit_measures
        on
            cells.repo = commit_measures.repo
            and cells.period = commit_measures.period
    left join newcomer_measures
        on
            cells.repo = newcomer_measures.repo
            and cells.period = newcomer_measures.period
    left join item_measures
        on
            cells.repo = item_measures.repo
            and cells.period = item_measures.period
    left join release_measures
        on
            cells.repo = release_measures.repo
            and cells.period = release_measures.period

)

select * from final

{% endmacro %}
