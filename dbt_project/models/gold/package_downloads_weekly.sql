{#-
    Weekly downloads per package (ISO weeks, Monday to Sunday, UTC): the sum over the days pypistats
    reported, how many those were, and the change against the week before -- of the totals only when
    both weeks are complete, of the per-day averages whenever both have data. Definitions:
    package_downloads_weekly.yml.
-#}

with

packages as (

    select * from {{ ref('dim_packages') }}

),

daily as (

    select * from {{ ref('package_downloads_daily') }}

),

weekly as (

    select
        package,
        date_trunc('week', download_date) as week,
        sum(downloads) as downloads,
        sum(downloads_with_mirrors) as downloads_with_mirrors,
        count(downloads) as days_reported
    from daily
    group by package, date_trunc('week', download_date)

),

described as (

    select
        weekly.*,
        weekly.days_reported = 7 as is_complete,
        {{ safe_ratio('weekly.downloads', 'weekly.days_reported') }} as avg_daily_downloads,
        {{ period_end('week', 'weekly.week') }} > packages.as_of_date as is_partial
    from weekly
    inner join packages
        on weekly.package = packages.package

),

final as (

    select
        current_week.package,
        current_week.week,
        current_week.downloads,
        current_week.downloads_with_mirrors,
        current_week.days_reported,
        current_week.is_complete,
        current_week.is_partial,
        current_week.avg_daily_downloads,
        case
            when current_week.is_complete and previous_week.is_complete
                then {{ pct_change('current_week.downloads', 'previous_week.downloads') }}
        end as downloads_wow_pct_change,
        {{ pct_change('current_week.avg_daily_downloads', 'previous_week.avg_daily_downloads') }}
            as avg_daily_downloads_wow_pct_change
    from described as current_week
    left join described as previous_week
        on
            current_week.package = previous_week.package
            and previous_week.week = current_week.week - interval '7' day

)

select * from final
