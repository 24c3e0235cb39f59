{#-
    The alert conditions that hold now: every rule of the alert rules (seed alert_rules) evaluated on
    gold, one row per rule, subject and event key. Each kind reads the gold figure it is about -- the
    latest complete week or month of its subject, never a partial one -- and compares it with the
    rule's threshold, strictly (a value on the threshold is silent; "at or below" for the absence
    factor). alert_events turns these rows into events that fire once and resolve. Definitions:
    alert_conditions.yml and docs/alerts.md.
-#}

with

rules as (

    select * from {{ ref('alert_rules') }}

),

projects as (

    select * from {{ ref('dim_projects') }}

),

repositories as (

    select * from {{ ref('repo_headlines') }}

),

packages as (

    select * from {{ ref('dim_packages') }}

),

github_releases as (

    select * from {{ ref('fct_releases') }}

),

package_releases as (

    select * from {{ ref('fct_package_releases') }}

),

downloads_weekly as (

    select * from {{ ref('package_downloads_weekly') }}

),

responsiveness as (

    select * from {{ ref('issue_responsiveness_monthly') }}

),

absence as (

    select * from {{ ref('contributor_absence_factor') }}

),

python_versions as (

    select * from {{ ref('python_version_adoption_monthly') }}

),

snapshots as (

    select * from {{ ref('repo_snapshot_history') }}

),

sources as (

    select * from {{ ref('data_health_sources') }}

),

-- the subjects of each rule: every tracked repository and package, or those of its project or group

scoped_projects as (

    select
        rules.rule,
        projects.repo_id,
        lower(projects.package) as package
    from rules
    inner join projects
        on
            (rules.scope_type = 'project' and rules.scope = projects.project)
            or (rules.scope_type = 'group' and contains(projects.group_names, rules.scope))

),

rule_repositories as (

    select
        rules.rule,
        repositories.repo_id,
        repositories.repo,
        repositories.as_of_date
    from rules
    cross join repositories
    where rules.scope_type = 'all'

    union distinct

    select
        scoped_projects.rule,
        repositories.repo_id,
        repositories.repo,
        repositories.as_of_date
    from scoped_projects
    inner join repositories
        on scoped_projects.repo_id = repositories.repo_id

),

package_as_of as (

    select
        package,
        coalesce(as_of_date, last_snapshot_date) as as_of_date
    from packages

),

rule_packages as (

    select
        rules.rule,
        package_as_of.package,
        package_as_of.as_of_date
    from rules
    cross join package_as_of
    where rules.scope_type = 'all'

    union distinct

    select
        scoped_projects.rule,
        package_as_of.package,
        package_as_of.as_of_date
    from scoped_projects
    inner join package_as_of
        on scoped_projects.package = lower(package_as_of.package)

),

-- new_release: published within the `days` days ending with the subject's as-of date

new_github_releases as (

    select
        rules.rule,
        'repository' as subject_type,
        rule_repositories.repo as subject,
        rule_repositories.repo_id,
        github_releases.tag_name as event_key,
        github_releases.published_on as period_start,
        'day' as period_grain,
        cast(date_diff('day', github_releases.published_on, rule_repositories.as_of_date) as double) as observed_value,
        cast(rules.days as double) as threshold,
        github_releases.tag_name || case when github_releases.is_prerelease then ' (pre-release)' else '' end
            as detail
    from rules
    inner join rule_repositories
        on rules.rule = rule_repositories.rule
    inner join github_releases
        on rule_repositories.repo_id = github_releases.repo_id
    where
        rules.kind = 'new_release'
        and rules.source in ('github', 'any')
        and (rules.include_prereleases or not github_releases.is_prerelease)
        and github_releases.published_on > date_add('day', -rules.days, rule_repositories.as_of_date)
        and github_releases.published_on <= rule_repositories.as_of_date

),

new_package_releases as (

    select
        rules.rule,
        'package' as subject_type,
        rule_packages.package as subject,
        cast(null as bigint) as repo_id,
        package_releases.version as event_key,
        package_releases.uploaded_on as period_start,
        'day' as period_grain,
        cast(date_diff('day', package_releases.uploaded_on, rule_packages.as_of_date) as double) as observed_value,
        cast(rules.days as double) as threshold,
        package_releases.version || case when package_releases.is_prerelease then ' (pre-release)' else '' end
            as detail
    from rules
    inner join rule_packages
        on rules.rule = rule_packages.rule
    inner join package_releases
        on lower(rule_packages.package) = lower(package_releases.package)
    where
        rules.kind = 'new_release'
        and rules.source in ('pypi', 'any')
        and (rules.include_prereleases or not package_releases.is_prerelease)
        and package_releases.uploaded_on > date_add('day', -rules.days, rule_packages.as_of_date)
        and package_releases.uploaded_on <= rule_packages.as_of_date

),

-- downloads_change: the latest complete week against the week before (gold: totals of complete weeks)

latest_complete_weeks as (

    select
        package,
        max(week) as week
    from downloads_weekly
    where is_complete and not is_partial
    group by package

),

downloads_changes as (

    select
        rules.rule,
        'package' as subject_type,
        rule_packages.package as subject,
        cast(null as bigint) as repo_id,
        cast(downloads_weekly.week as varchar) as event_key,
        downloads_weekly.week as period_start,
        'week' as period_grain,
        downloads_weekly.downloads_wow_pct_change as observed_value,
        rules.threshold,
        rules.direction as detail
    from rules
    inner join rule_packages
        on rules.rule = rule_packages.rule
    inner join latest_complete_weeks
        on rule_packages.package = latest_complete_weeks.package
    inner join downloads_weekly
        on
            latest_complete_weeks.package = downloads_weekly.package
            and latest_complete_weeks.week = downloads_weekly.week
    where
        rules.kind = 'downloads_change'
        and (
            (rules.direction in ('drop', 'any') and downloads_weekly.downloads_wow_pct_change < -rules.threshold)
            or (rules.direction in ('rise', 'any') and downloads_weekly.downloads_wow_pct_change > rules.threshold)
        )

),

-- unanswered_share: the last complete month's items without a first response after 1 or 7 days

latest_complete_months as (

    select
        repo_id,
        max(month) as month
    from responsiveness
    where not is_partial
    group by repo_id

),

items as (

    select
        responsiveness.repo_id,
        responsiveness.month,
        'issues' as items,
        responsiveness.issues_opened as opened,
        responsiveness.issues_responded_within_24h_share as responded_within_1d_share,
        responsiveness.issues_responded_within_7d_share as responded_within_7d_share
    from responsiveness
    inner join latest_complete_months
        on responsiveness.repo_id = latest_complete_months.repo_id and responsiveness.month = latest_complete_months.month

    union all

    select
        responsiveness.repo_id,
        responsiveness.month,
        'pull_requests' as items,
        responsiveness.prs_opened as opened,
        responsiveness.prs_responded_within_24h_share as responded_within_1d_share,
        responsiveness.prs_responded_within_7d_share as responded_within_7d_share
    from responsiveness
    inner join latest_complete_months
        on responsiveness.repo_id = latest_complete_months.repo_id and responsiveness.month = latest_complete_months.month

),

unanswered as (

    select
        rules.rule,
        'repository' as subject_type,
        rule_repositories.repo as subject,
        rule_repositories.repo_id,
        items.items as event_key,
        items.month as period_start,
        'month' as period_grain,
        -- the complement of gold's share answered within the days (the same items: opened at least that
        -- long before the end of the as-of date)
        1 - case rules.days
            when 1 then items.responded_within_1d_share
            else items.responded_within_7d_share
        end as observed_value,
        rules.threshold,
        items.items || ' opened: ' || cast(items.opened as varchar) as detail
    from rules
    inner join rule_repositories
        on rules.rule = rule_repositories.rule
    inner join items
        on rule_repositories.repo_id = items.repo_id
    where
        rules.kind = 'unanswered_share'
        and rules.items in (items.items, 'both')
        and items.opened >= coalesce(rules.min_items, 1)
        and 1 - case rules.days
            when 1 then items.responded_within_1d_share
            else items.responded_within_7d_share
        end > rules.threshold

),

-- absence_factor: the last complete month's contributor absence factor at or below the threshold

latest_absence_months as (

    select
        repo_id,
        max(month) as month
    from absence
    where not is_partial
    group by repo_id

),

low_absence_factors as (

    select
        rules.rule,
        'repository' as subject_type,
        rule_repositories.repo as subject,
        rule_repositories.repo_id,
        '' as event_key,
        absence.month as period_start,
        'month' as period_grain,
        cast(absence.contributor_absence_factor as double) as observed_value,
        rules.threshold,
        cast(absence.authors_trailing_12m as varchar) || ' authors in 12 months' as detail
    from rules
    inner join rule_repositories
        on rules.rule = rule_repositories.rule
    inner join latest_absence_months
        on rule_repositories.repo_id = latest_absence_months.repo_id
    inner join absence
        on latest_absence_months.repo_id = absence.repo_id and latest_absence_months.month = absence.month
    where
        rules.kind = 'absence_factor'
        and absence.contributor_absence_factor <= rules.threshold

),

-- python_version_share: the latest complete month's share of a version among downloads that say

python_months as (

    select
        python_versions.package,
        max(python_versions.month) as month
    from python_versions
    inner join package_as_of
        on python_versions.package = package_as_of.package
    where {{ period_end('month', 'python_versions.month') }} <= package_as_of.as_of_date
    group by python_versions.package

),

python_shares as (

    select
        rules.rule,
        'package' as subject_type,
        rule_packages.package as subject,
        cast(null as bigint) as repo_id,
        python_versions.python_minor as event_key,
        python_versions.month as period_start,
        'month' as period_grain,
        python_versions.share_of_known as observed_value,
        rules.threshold,
        'Python ' || python_versions.python_minor || ' ' || rules.direction as detail
    from rules
    inner join rule_packages
        on rules.rule = rule_packages.rule
    inner join python_months
        on rule_packages.package = python_months.package
    inner join python_versions
        on python_months.package = python_versions.package and python_months.month = python_versions.month
    where
        rules.kind = 'python_version_share'
        and python_versions.python_minor != 'unknown'
        and (rules.python_version is null or python_versions.python_minor = rules.python_version)
        and (
            (rules.direction = 'above' and python_versions.share_of_known > rules.threshold)
            or (rules.direction = 'below' and python_versions.share_of_known < rules.threshold)
        )

),

-- stars_gained: the stars changes recorded by the snapshots of the latest complete ISO week

weekly_stars as (

    select
        snapshots.repo_id,
        date_trunc('week', snapshots.snapshot_date) as week,
        sum(snapshots.stars_change) as stars_gained,
        count(snapshots.stars_change) as changes
    from snapshots
    inner join repositories
        on snapshots.repo_id = repositories.repo_id
    -- complete weeks only: the week's Sunday is on or before the repository's as-of date
    where {{ period_end('week', "date_trunc('week', snapshots.snapshot_date)") }} <= repositories.as_of_date
    group by snapshots.repo_id, date_trunc('week', snapshots.snapshot_date)

),

latest_star_weeks as (

    select
        repo_id,
        max(week) as week
    from weekly_stars
    where changes > 0
    group by repo_id

),

star_spikes as (

    select
        rules.rule,
        'repository' as subject_type,
        rule_repositories.repo as subject,
        rule_repositories.repo_id,
        cast(weekly_stars.week as varchar) as event_key,
        weekly_stars.week as period_start,
        'week' as period_grain,
        cast(weekly_stars.stars_gained as double) as observed_value,
        rules.threshold,
        cast(null as varchar) as detail
    from rules
    inner join rule_repositories
        on rules.rule = rule_repositories.rule
    inner join latest_star_weeks
        on rule_repositories.repo_id = latest_star_weeks.repo_id
    inner join weekly_stars
        on latest_star_weeks.repo_id = weekly_stars.repo_id and latest_star_weeks.week = weekly_stars.week
    where
        rules.kind = 'stars_gained'
        and weekly_stars.stars_gained > rules.threshold

),

-- data_stale: a source with an entity last loaded more than `threshold` days ago (never loaded: not stale)

stale_entities as (

    select
        rules.rule,
        rules.threshold,
        sources.source_system,
        sources.entity,
        sources.hours_since_load,
        sources.last_loaded_at
    from rules
    inner join sources
        on rules.source in (sources.source_system, 'any')
    where
        rules.kind = 'data_stale'
        and sources.last_loaded_at is not null
        and sources.hours_since_load > rules.threshold * 24

),

stale_sources as (

    select
        rule,
        'source' as subject_type,
        source_system as subject,
        cast(null as bigint) as repo_id,
        '' as event_key,
        cast(min(last_loaded_at) at time zone 'UTC' as date) as period_start,
        'day' as period_grain,
        max(hours_since_load) / 24 as observed_value,
        max(threshold) as threshold,
        array_join(array_sort(array_agg(entity)), ', ') as detail
    from stale_entities
    group by rule, source_system

),

conditions as (

    select * from new_github_releases
    union all
    select * from new_package_releases
    union all
    select * from downloads_changes
    union all
    select * from unanswered
    union all
    select * from low_absence_factors
    union all
    select * from python_shares
    union all
    select * from star_spikes
    union all
    select * from stale_sources

),

final as (

    select
        conditions.rule,
        rules.kind,
        conditions.subject_type,
        conditions.subject,
        conditions.repo_id,
        coalesce(conditions.event_key, '') as event_key,
        conditions.period_start,
        conditions.period_grain,
        conditions.observed_value,
        conditions.threshold,
        conditions.detail
    from conditions
    inner join rules
        on conditions.rule = rules.rule

)

select * from final
