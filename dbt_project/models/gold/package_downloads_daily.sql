{#-
    Daily downloads per package (pypistats overall without mirrors; with mirrors beside it), one row
    per calendar day from the package's first reported day to its own as-of date (its last reported
    day). A day pypistats did not report is null, never zero (is_reported false); averages and changes
    use reported days only. Definitions: package_downloads_daily.yml.
-#}

with

packages as (

    select * from {{ ref('dim_packages') }}

),

downloads as (

    select * from {{ ref('fct_package_downloads_daily') }}
    where metric = 'overall'

),

grid as (

    {{ period_grid('packages', ['package', 'first_download_date'], 'first_download_date', 'as_of_date', 'day') }}

),

daily as (

    select
        package,
        download_date,
        sum(downloads) filter (where category = 'without_mirrors') as downloads,
        sum(downloads) filter (where category = 'with_mirrors') as downloads_with_mirrors
    from downloads
    group by package, download_date

),

series as (

    select
        grid.package,
        grid.first_download_date,
        grid.period as download_date,
        daily.downloads,
        daily.downloads_with_mirrors
    from grid
    left join daily
        on
            grid.package = daily.package
            and grid.period = daily.download_date

),

windowed as (

    -- dense daily rows: row-based windows are calendar-day windows
    select
        *,
        avg(downloads) over (
            partition by package order by download_date rows between 6 preceding and current row
        ) as mean_7d,
        count(downloads) over (
            partition by package order by download_date rows between 6 preceding and current row
        ) as days_reported_7d,
        avg(downloads) over (
            partition by package order by download_date rows between 29 preceding and current row
        ) as mean_30d,
        count(downloads) over (
            partition by package order by download_date rows between 29 preceding and current row
        ) as days_reported_30d,
        -- the last 32 days, oldest first: the same day a week and a month ago are read from it
        array_agg(downloads) over (
            partition by package order by download_date rows between 31 preceding and current row
        ) as recent
    from series

),

compared as (

    select
        *,
        case
            when cardinality(recent) > 7 then element_at(recent, cardinality(recent) - 7)
        end as week_before,
        case
            when cardinality(recent) > date_diff('day', download_date - interval '1' month, download_date)
                then element_at(
                    recent, cardinality(recent) - date_diff('day', download_date - interval '1' month, download_date)
                )
        end as month_before
    from windowed

),

final as (

    select
        package,
        download_date,
        downloads,
        downloads_with_mirrors,
        downloads is not null as is_reported,
        case when download_date >= first_download_date + interval '6' day then mean_7d end as downloads_ma_7d,
        days_reported_7d,
        case when download_date >= first_download_date + interval '29' day then mean_30d end as downloads_ma_30d,
        days_reported_30d,
        {{ pct_change('downloads', 'week_before') }} as downloads_wow_pct_change,
        {{ pct_change('downloads', 'month_before') }} as downloads_mom_pct_change
    from compared

)

select * from final
