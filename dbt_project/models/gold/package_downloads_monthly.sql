{#-
    Monthly downloads per package (calendar months, UTC): the sum over the days pypistats reported, how
    many those were, and the change against the previous month (January against the December before)
    -- of the totals only when both months are complete, of the per-day averages whenever both have
    data. The current month, the first month of a history (pypistats keeps 180 days) and a month with
    missing days are incomplete. Definitions: package_downloads_monthly.yml.
-#}

with

packages as (

    select * from {{ ref('dim_packages') }}

),

downloads as (

    select * from {{ ref('fct_package_downloads_monthly') }}
    where metric = 'overall'

),

grid as (

    {{ period_grid('packages', ['package', 'as_of_date'], 'first_download_date', 'as_of_date', 'month') }}

),

monthly as (

    select
        package,
        month,
        sum(downloads) filter (where category = 'without_mirrors') as downloads,
        sum(downloads) filter (where category = 'with_mirrors') as downloads_with_mirrors,
        max(days_reported) filter (where category = 'without_mirrors') as days_reported
    from downloads
    group by package, month

),

described as (

    select
        grid.package,
        grid.period as month,
        monthly.downloads,
        monthly.downloads_with_mirrors,
        coalesce(monthly.days_reported, 0) as days_reported,
        day_of_month({{ period_end('month', 'grid.period') }}) as days_in_month,
        coalesce(monthly.days_reported, 0) = day_of_month({{ period_end('month', 'grid.period') }}) as is_complete,
        {{ period_end('month', 'grid.period') }} > grid.as_of_date as is_partial,
        {{ safe_ratio('monthly.downloads', 'monthly.days_reported') }} as avg_daily_downloads
    from grid
    left join monthly
        on
            grid.package = monthly.package
            and grid.period = monthly.month

),

final as (

    select
        current_month.package,
        current_month.month,
        current_month.downloads,
        current_month.downloads_with_mirrors,
        current_month.days_reported,
        current_month.days_in_month,
        current_month.is_complete,
        current_month.is_partial,
        current_month.avg_daily_downloads,
        previous_month.downloads as previous_month_downloads,
        case
            when current_month.is_complete and previous_month.is_complete
                then {{ pct_change('current_month.downloads', 'previous_month.downloads') }}
        end as downloads_mom_pct_change,
        {{ pct_change('current_month.avg_daily_downloads', 'previous_month.avg_daily_downloads') }}
            as avg_daily_downloads_mom_pct_change
    from described as current_month
    left join described as previous_month
        on
            current_month.package = previous_month.package
            and previous_month.month = current_month.month - interval '1' month

)

select * from final
