{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
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
    clamping): those days and the days past the last one held are recomputed, reading the 31 days of
    history before them.
-#}

{%- if is_incremental() %}
    {%- set days = periods_to_rebuild(
        'day',
        "select download_date from " ~ ref('fct_package_downloads_daily')
            ~ " where metric = 'overall' and load_date > " ~ watermark_cutoff('loaded_through'),
        '(select max(last_download_date) from ' ~ ref('dim_packages') ~ ')',
        'download_date',
        window=34,
    ) %}
{%- set history = [["date '" ~ days[0] ~ "' - interval '31' day", "date '" ~ days[-1] ~ "'"]] if days else [] %}
{%- endif %}

with

packages as (

    select * from {{ ref('dim_packages') }}

),

downloads as (

    select * from {{ ref('fct_package_downloads_daily') }}
    where
        metric = 'overall'
        and {{ in_ranges('download_date', history) if is_incremental() else 'true' }}

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
stored_bounds as (

    select
        package,
        min(download_date) as first_day,
        max(download_date) as last_day
    from {{ this }}
    group by package

),

cells as (

    select grid.*
    from grid
    left join stored_bounds
        on grid.package = stored_bounds.package
    where
        {{ in_periods('grid.day', 'day', days) }}
        or stored_bounds.package is null
        or grid.day not between stored_bounds.first_day and stored_bounds.last_day

),

history as (

    select grid.*
    from grid
    where {{ in_ranges('grid.day', history) }}

),

{% else %}
cells as (

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

    -- dense daily rows: row-based windows are calendar-day windows
    select
        *,
        avg(downloads) over (
            partition by package order by day rows between 6 preceding and current row
        ) as mean_7d,
        avg(downloads) over (
            partition by package order by day rows between 29 preceding and current row
        ) as mean_30d,
        -- the last 32 days, oldest first: the same day a week and a month ago are read from it
        array_agg(downloads) over (
            partition by package order by day rows between 31 preceding and current row
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
            when cardinality(recent) > date_diff('day', day - interval '1' month, day)
                then element_at(recent, cardinality(recent) - date_diff('day', day - interval '1' month, day))
        end as month_before
    from windowed

),

final as (

    select
        cells.package,
        cells.day as download_date,
        compared.downloads,
        compared.downloads_with_mirrors,
        case
            when cells.day >= cells.first_download_date + interval '6' day then compared.mean_7d
        end as downloads_ma_7d,
        case
            when cells.day >= cells.first_download_date + interval '29' day then compared.mean_30d
        end as downloads_ma_30d,
        {{ pct_change('compared.downloads', 'compared.week_before') }} as downloads_wow_pct_change,
        {{ pct_change('compared.downloads', 'compared.month_before') }} as downloads_mom_pct_change,
        compared.load_date as loaded_through
    from cells
    inner join compared
        on
            cells.package = compared.package
            and cells.day = compared.day

)

select * from final
