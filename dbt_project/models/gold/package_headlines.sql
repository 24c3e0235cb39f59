{#-
    One row per package: the downloads of the 30 days ending with the package's own as-of date and of
    the 30 days before, and the change between them when pypistats reported every day of both.
    Definitions: package_headlines.yml.
-#}

with

packages as (

    select * from {{ ref('dim_packages') }}

),

daily as (

    select * from {{ ref('package_downloads_daily') }}

),

windows as (

    select
        daily.package,
        sum(daily.downloads) filter (where daily.download_date > packages.as_of_date - interval '30' day)
            as downloads_30d,
        count(daily.downloads) filter (where daily.download_date > packages.as_of_date - interval '30' day)
            as days_reported_30d,
        sum(daily.downloads) filter (where daily.download_date <= packages.as_of_date - interval '30' day)
            as downloads_previous_30d,
        count(daily.downloads) filter (where daily.download_date <= packages.as_of_date - interval '30' day)
            as days_reported_previous_30d
    from daily
    inner join packages
        on daily.package = packages.package
    where daily.download_date > packages.as_of_date - interval '60' day
    group by daily.package

),

final as (

    select
        packages.package,
        packages.as_of_date,
        windows.downloads_30d,
        coalesce(windows.days_reported_30d, 0) as days_reported_30d,
        windows.downloads_previous_30d,
        coalesce(windows.days_reported_previous_30d, 0) as days_reported_previous_30d,
        {{ safe_ratio('windows.downloads_30d', 'windows.days_reported_30d') }} as avg_daily_downloads_30d,
        case
            when windows.days_reported_30d = 30 and windows.days_reported_previous_30d = 30
                then {{ pct_change('windows.downloads_30d', 'windows.downloads_previous_30d') }}
        end as downloads_30d_pct_change
    from packages
    left join windows
        on packages.package = windows.package
    where packages.as_of_date is not null

)

select * from final
