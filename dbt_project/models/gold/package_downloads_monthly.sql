{#-
    Monthly downloads per package (pypistats overall without mirrors, and with mirrors), from
    package_downloads_daily (missing days count 0). downloads_mom_pct_change compares with the previous
    calendar month, January with the December before: (month - previous) / previous, null when the
    previous month is 0 or before the package's history. days_in_data is the number of days of the
    month inside the package's series (the first and the current month are partial). Rebuilt every run.
-#}

with

daily as (

    select * from {{ ref('package_downloads_daily') }}

),

monthly as (

    select
        package,
        date_trunc('month', download_date) as month,
        sum(downloads) as downloads,
        sum(downloads_with_mirrors) as downloads_with_mirrors,
        count(*) as days_in_data,
        max(loaded_through) as loaded_through
    from daily
    group by package, date_trunc('month', download_date)

),

final as (

    select
        monthly.package,
        monthly.month,
        monthly.downloads,
        monthly.downloads_with_mirrors,
        monthly.days_in_data,
        previous.downloads as previous_month_downloads,
        {{ pct_change('monthly.downloads', 'previous.downloads') }} as downloads_mom_pct_change,
        monthly.loaded_through
    from monthly
    left join monthly as previous
        on
            monthly.package = previous.package
            and previous.month = monthly.month - interval '1' month

)

select * from final
