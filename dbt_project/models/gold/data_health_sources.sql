{{ config(materialized='view') }}

{#-
    Data health per raw entity, for the Data health page: what lake.raw holds and when the entity was
    last loaded (bronze.load_stats), whether bronze has caught up, and a status computed when it is
    read (a view): never loaded | no data (loaded, but the source has none: e.g. issues disabled) |
    stale (not loaded for more than stale_after_hours) | fresh. Definitions: data_health_sources.yml.
-#}

with

loads as (

    select * from {{ ref('load_stats') }}

),

described as (

    select
        *,
        -- pypistats publishes a day once it is over: it lags GitHub and PyPI by a day
        case source_system when 'pypistats' then 60 else 36 end as stale_after_hours,
        coalesce(last_load_finished_at, latest_loaded_at) as last_loaded_at
    from loads

),

final as (

    select
        entity,
        source_system,
        case
            when last_loaded_at is null and raw_rows = 0 then 'never loaded'
            when date_diff('second', last_loaded_at, current_timestamp) > stale_after_hours * 3600 then 'stale'
            when raw_rows = 0 then 'no data'
            else 'fresh'
        end as status,
        last_loaded_at,
        round(date_diff('second', last_loaded_at, current_timestamp) / 3600e0, 1) as hours_since_load,
        stale_after_hours,
        latest_load_date,
        latest_fetched_at,
        load_dates,
        raw_rows,
        last_load_with_rows_at,
        bronze_loaded_at,
        raw_rows > 0 and (bronze_loaded_at is null or bronze_loaded_at < latest_loaded_at) as bronze_behind_raw
    from described

)

select * from final
