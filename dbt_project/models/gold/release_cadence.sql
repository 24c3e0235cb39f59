{#-
    Release cadence of repositories (GitHub releases: published, drafts excluded, one per tag) and PyPI
    packages (versions by first upload, yanked ones included), one row per subject and UTC month from
    its first release month to its as-of month. Definitions: release_cadence.yml.
-#}

with

repositories as (

    select * from {{ ref('dim_repositories') }}

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

all_releases as (

    select
        'repository' as subject_type,
        repositories.repo as subject,
        repositories.repo_id,
        cast(github_releases.release_id as varchar) as release_key,
        github_releases.published_at as released_at,
        github_releases.is_prerelease
    from github_releases
    inner join repositories
        on github_releases.repo_id = repositories.repo_id

    union all

    select
        'package' as subject_type,
        package as subject,
        cast(null as bigint) as repo_id,
        version as release_key,
        first_upload_at as released_at,
        is_prerelease
    from package_releases

),

subjects as (

    select
        all_releases.subject_type,
        all_releases.subject,
        all_releases.repo_id,
        min({{ utc_date('all_releases.released_at') }}) as first_release_on,
        case all_releases.subject_type
            when 'repository' then max(repositories.as_of_date)
            else coalesce(max(packages.as_of_date), max(packages.last_snapshot_date))
        end as as_of_date
    from all_releases
    left join repositories
        on all_releases.repo_id = repositories.repo_id
    left join packages
        on all_releases.subject_type = 'package' and all_releases.subject = packages.package
    group by all_releases.subject_type, all_releases.subject, all_releases.repo_id

),

gaps as (

    select
        *,
        {{ utc_date('released_at') }} as released_on,
        date_trunc('month', {{ utc_date('released_at') }}) as month,
        {{ hours_between(
            'lag(released_at) over (partition by subject_type, subject order by released_at, release_key)',
            'released_at'
        ) }} / 24 as days_since_previous
    from all_releases

),

stable_gaps as (

    select
        subject_type,
        subject,
        release_key,
        {{ hours_between(
            'lag(released_at) over (partition by subject_type, subject order by released_at, release_key)',
            'released_at'
        ) }} / 24 as days_since_previous_stable
    from all_releases
    where not is_prerelease

),

releases as (

    select
        gaps.*,
        stable_gaps.days_since_previous_stable
    from gaps
    left join stable_gaps
        on
            gaps.subject_type = stable_gaps.subject_type
            and gaps.subject = stable_gaps.subject
            and gaps.release_key = stable_gaps.release_key

),

grid as (

    {{ period_grid(
        'subjects', ['subject_type', 'subject', 'repo_id', 'as_of_date'], 'first_release_on', 'as_of_date', 'month'
    ) }}

),

ranked as (

    select
        subject_type,
        subject,
        month,
        days_since_previous,
        days_since_previous_stable,
        row_number() over (
            partition by subject_type, subject, month order by days_since_previous
        ) as value_rank,
        count(days_since_previous) over (partition by subject_type, subject, month) as value_count,
        row_number() over (
            partition by subject_type, subject, month order by days_since_previous_stable
        ) as stable_rank,
        count(days_since_previous_stable) over (partition by subject_type, subject, month) as stable_count
    from releases

),

monthly as (

    select
        subject_type,
        subject,
        month,
        count(*) as releases,
        {{ median_where('days_since_previous', 'true') }} as median_days_between_releases,
        avg(days_since_previous_stable) filter (
            where stable_rank in ((stable_count + 1) / 2, (stable_count + 2) / 2)
        ) as median_days_between_stable_releases
    from ranked
    group by subject_type, subject, month

),

stable_counts as (

    select
        subject_type,
        subject,
        month,
        count_if(not is_prerelease) as stable_releases
    from releases
    group by subject_type, subject, month

),

month_ends as (

    select
        grid.*,
        least({{ period_end('month', 'grid.period') }}, grid.as_of_date) as measured_on
    from grid

),

latest as (

    select
        month_ends.subject_type,
        month_ends.subject,
        month_ends.period as month,
        max(releases.released_at) as last_release_at,
        count_if(releases.month > month_ends.period - interval '12' month) as releases_trailing_12m
    from month_ends
    inner join releases
        on
            month_ends.subject_type = releases.subject_type
            and month_ends.subject = releases.subject
            and month_ends.measured_on >= releases.released_on
    group by month_ends.subject_type, month_ends.subject, month_ends.period

),

final as (

    select
        month_ends.subject_type,
        month_ends.subject,
        month_ends.repo_id,
        month_ends.period as month,
        {{ period_end('month', 'month_ends.period') }} > month_ends.as_of_date as is_partial,
        coalesce(monthly.releases, 0) as releases,
        coalesce(stable_counts.stable_releases, 0) as stable_releases,
        monthly.median_days_between_releases,
        monthly.median_days_between_stable_releases,
        coalesce(latest.releases_trailing_12m, 0) as releases_trailing_12m,
        latest.last_release_at,
        date_diff('day', {{ utc_date('latest.last_release_at') }}, month_ends.measured_on)
            as days_since_last_release
    from month_ends
    left join monthly
        on
            month_ends.subject_type = monthly.subject_type
            and month_ends.subject = monthly.subject
            and month_ends.period = monthly.month
    left join stable_counts
        on
            month_ends.subject_type = stable_counts.subject_type
            and month_ends.subject = stable_counts.subject
            and month_ends.period = stable_counts.month
    left join latest
        on
            month_ends.subject_type = latest.subject_type
            and month_ends.subject = latest.subject
            and month_ends.period = latest.month

)

select * from final
