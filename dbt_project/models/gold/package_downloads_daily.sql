{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['package', 'download_date'],
    )
}}

{#-
    Daily downloads per package: pypistats `overall` without mirrors (downloads_with_mirrors beside
    it). One row per calendar day from the package's first reported day to the latest day reported
    for any package; a day pypistats has no row for counts 0.
      * downloads_ma_7d / _30d: mean over the 7 / 30 calendar days ending with the day (missing days
        as 0); null until the package has that many days of history.
      * downloads_wow_pct_change: (day - same weekday a week before) / week before.
      * downloads_mom_pct_change: (day - same day of the previous calendar month) / that day; the day
        before is `day - interval '1' month` (March 31 -> February 28/29, January 15 -> December 15).
      Changes are null when the earlier value is 0 or before the package's history.
    Incremental: a changed day d changes the rows from d to d + 1 month (+3 days for month-end
    clamping); those and new days are recomputed from 31 days of history before them.
-#}

with

packages as (

    select * from {{ ref('dim_packages') }}

),

downloads as (

    select * from {{ ref('fct_package_downloads_daily') }}
    where metric = 'overall'

),

as_of as (

    select max(last_download_date) as as_of_date
    from packages

),

grid as (

    select
        packages.package,
        packages.first_download_date,
        days.day
    from packages
    cross join as_of
    cross join unnest(sequence(packages.first_download_date, as_of.as_of_date)) as days (day)
    where packages.first_download_date is not null

),

{% if is_incremental() %}
changed_days as (

    select distinct
        package,
        download_date
    from downloads
    where load_date > {{ watermark_cutoff('loaded_through') }}

),

stored_bounds as (

    select
        package,
        min(download_date) as first_day,
        max(download_date) as last_day
    from {{ this }}
    group by package

),

days as (

    select distinct
        grid.package,
        grid.first_download_date,
        grid.day
    from grid
    left join stored_bounds
        on grid.package = stored_bounds.package
    where
        stored_bounds.package is null
        or grid.day not between stored_bounds.first_day and stored_bounds.last_day
        or exists (
            select 1
            from changed_days
            where
                changed_days.package = grid.package
                and grid.day between changed_days.download_date
                and changed_days.download_date + interval '1' month + interval '3' day
        )

),

history as (

    select grid.*
    from grid
    inner join (
        select
            package,
            min(day) - interval '31' day as first_day,
            max(day) as last_day
        from days
        group by package
    ) as needed
        on
            grid.package = needed.package
            and grid.day between needed.first_day and needed.last_day

),

{% else %}
days as (

    select * from grid

),

history as (

    select * from grid

),

{% endif %}
daily as (

    select
        package,
        download_date,
        sum(downloads) filter (where category = 'without_mirrors') as downloads,
        sum(downloads) filter (where category = 'with_mirrors') as downloads_with_mirrors,
        max(load_date) as load_date
    from downloads
    group by package, download_date

),

series as (

    select
        history.package,
        history.first_download_date,
        history.day,
        coalesce(daily.downloads, 0) as downloads,
        coalesce(daily.downloads_with_mirrors, 0) as downloads_with_mirrors,
        daily.load_date
    from history
    left join daily
        on
            history.package = daily.package
            and history.day = daily.download_date

),

windowed as (

    select
        *,
        avg(downloads) over (
            partition by package order by day rows between 6 preceding and current row
        ) as mean_7d,
        avg(downloads) over (
            partition by package order by day rows between 29 preceding and current row
        ) as mean_30d
    from series

),

final as (

    select
        days.package,
        days.day as download_date,
        windowed.downloads,
        windowed.downloads_with_mirrors,
        case
            when days.day >= days.first_download_date + interval '6' day then windowed.mean_7d
        end as downloads_ma_7d,
        case
            when days.day >= days.first_download_date + interval '29' day then windowed.mean_30d
        end as downloads_ma_30d,
        {{ pct_change('windowed.downloads', 'week_before.downloads') }} as downloads_wow_pct_change,
        {{ pct_change('windowed.downloads', 'month_before.downloads') }} as downloads_mom_pct_change,
        windowed.load_date as loaded_through
    from days
    inner join windowed
        on
            days.package = windowed.package
            and days.day = windowed.day
    left join series as week_before
        on
            days.package = week_before.package
            and week_before.day = days.day - interval '7' day
    left join series as month_before
        on
            days.package = month_before.package
            and month_before.day = days.day - interval '1' month

)

select * from final
