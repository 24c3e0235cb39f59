{#-
    Release cadence of repositories (GitHub releases, published, drafts excluded) and PyPI packages
    (versions by first upload; yanked versions count: they were released). One row per subject and
    UTC month from the subject's first release month to the as-of month, zeros included:
      releases, stable_releases (not a pre-release: GitHub's prerelease flag, PEP 440 a/b/rc/dev),
      median_days_between_releases: for the releases of the month, the median of the days since the
      subject's previous release (of any kind); median_days_between_stable_releases likewise between
      stable releases; releases_trailing_12m; days_since_last_release at the end of the month (or at
      the as-of date for the current month). Rebuilt every run (small).
-#}

with

github_releases as (

    select * from {{ ref('fct_releases') }}

),

package_releases as (

    select * from {{ ref('fct_package_releases') }}

),

all_releases as (

    select
        'repository' as subject_type,
        repo as subject,
        tag_name as release,
        published_at as released_at,
        is_prerelease,
        load_date
    from github_releases

    union all

    select
        'package' as subject_type,
        package as subject,
        version as release,
        first_upload_at as released_at,
        is_prerelease,
        load_date
    from package_releases

),

as_of as (

    select {{ greatest_of(['max(' ~ utc_date('released_at') ~ ')', 'max(load_date)']) }} as as_of_date
    from all_releases

),

gaps as (

    select
        *,
        date_trunc('month', {{ utc_date('released_at') }}) as month,
        {{ hours_between(
            'lag(released_at) over (partition by subject_type, subject order by released_at, release)',
            'released_at'
        ) }} / 24 as days_since_previous
    from all_releases

),

stable_gaps as (

    select
        subject_type,
        subject,
        release,
        {{ hours_between(
            'lag(released_at) over (partition by subject_type, subject order by released_at, release)',
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
            and gaps.release = stable_gaps.release

),

grid as (

    select
        subjects.subject_type,
        subjects.subject,
        months.month
    from (
        select
            subject_type,
            subject,
            min(month) as first_month
        from releases
        group by subject_type, subject
    ) as subjects
    cross join as_of
    cross join unnest(
        sequence(subjects.first_month, date_trunc('month', as_of.as_of_date), interval '1' month)
    ) as months (month)

),

counts as (

    select
        subject_type,
        subject,
        month,
        count(*) as releases,
        count_if(not is_prerelease) as stable_releases,
        max(load_date) as load_date
    from releases
    group by subject_type, subject, month

),

gap_medians as (

    {{ median_p90('releases', ['subject_type', 'subject', 'month'], 'days_since_previous', 'days_between') }}

),

stable_gap_medians as (

    {{ median_p90('releases', ['subject_type', 'subject', 'month'], 'days_since_previous_stable', 'days_between_stable') }}

),

month_ends as (

    select
        grid.*,
        least(
            {{ period_end('month', 'grid.month') }},
            as_of.as_of_date
        ) as measured_on
    from grid
    cross join as_of

),

latest as (

    select
        month_ends.subject_type,
        month_ends.subject,
        month_ends.month,
        max(releases.released_at) as last_release_at,
        count_if(releases.month > month_ends.month - interval '12' month) as releases_trailing_12m
    from month_ends
    inner join releases
        on
            month_ends.subject_type = releases.subject_type
            and month_ends.subject = releases.subject
            and month_ends.month >= releases.month
    group by month_ends.subject_type, month_ends.subject, month_ends.month

),

final as (

    select
        month_ends.subject_type,
        month_ends.subject,
        month_ends.month,
        coalesce(counts.releases, 0) as releases,
        coalesce(counts.stable_releases, 0) as stable_releases,
        gap_medians.days_between_median as median_days_between_releases,
        stable_gap_medians.days_between_stable_median as median_days_between_stable_releases,
        latest.releases_trailing_12m,
        latest.last_release_at,
        date_diff('day', {{ utc_date('latest.last_release_at') }}, month_ends.measured_on)
            as days_since_last_release,
        counts.load_date as loaded_through
    from month_ends
    left join counts
        on
            month_ends.subject_type = counts.subject_type
            and month_ends.subject = counts.subject
            and month_ends.month = counts.month
    left join gap_medians
        on
            month_ends.subject_type = gap_medians.subject_type
            and month_ends.subject = gap_medians.subject
            and month_ends.month = gap_medians.month
    left join stable_gap_medians
        on
            month_ends.subject_type = stable_gap_medians.subject_type
            and month_ends.subject = stable_gap_medians.subject
            and month_ends.month = stable_gap_medians.month
    left join latest
        on
            month_ends.subject_type = latest.subject_type
            and month_ends.subject = latest.subject
            and month_ends.month = latest.month

)

select * from final
