{#-
    One row per PyPI package seen in any PyPI entity, described by its latest daily `info` snapshot.
    first_download_date / last_download_date: the first and last day pypistats reported (overall).
    as_of_date: the package's own last reported day, capped at the date of its latest fetch -- the last
    day its download figures are complete for (a package whose pypistats call failed today stops at
    its last reported day instead of showing zero).
-#}

with

snapshots as (

    select * from {{ ref('pypi_projects') }}

),

downloads as (

    select * from {{ ref('fct_package_downloads_monthly') }}
    where metric = 'overall'

),

releases as (

    select * from {{ ref('pypi_releases') }}

),

described as (

    select
        package,
        max_by(latest_version, (snapshot_date, fetched_at)) as latest_version,
        max_by(requires_python, (snapshot_date, fetched_at)) as requires_python,
        max_by(summary, (snapshot_date, fetched_at)) as summary,
        max_by(license, (snapshot_date, fetched_at)) as license,
        min(snapshot_date) as first_snapshot_date,
        max(snapshot_date) as last_snapshot_date
    from snapshots
    group by package

),

reported as (

    select
        package,
        min(first_download_date) as first_download_date,
        max(last_download_date) as last_download_date,
        max(last_fetched_at) as last_fetched_at
    from downloads
    group by package

),

packages as (

    select package from described
    union distinct
    select package from reported
    union distinct
    select package from releases

),

final as (

    select
        packages.package,
        described.latest_version,
        described.requires_python,
        described.summary,
        described.license,
        described.first_snapshot_date,
        described.last_snapshot_date,
        reported.first_download_date,
        reported.last_download_date,
        reported.last_fetched_at,
        least(reported.last_download_date, {{ utc_date('reported.last_fetched_at') }}) as as_of_date
    from packages
    left join described
        on packages.package = described.package
    left join reported
        on packages.package = reported.package

)

select * from final
