{#-
    Data health per raw entity, for the dashboard: what lake.raw holds (latest load_date and
    fetched_at, load dates, rows incl. every version) and the latest load_date bronze has merged.
    Read from Iceberg partition statistics only (no data scan). Rebuilt every run.
-#}

with

raw_loads as (

    select * from {{ ref('stg_lake__raw_loads') }}

),

{% for entity in raw_entities() %}
{{ entity.bronze }}_stats as (

    select
        '{{ entity.name }}' as entity,
        max(data.load_date.max) as bronze_loaded_through
    from {{ partitions_table(ref(entity.bronze)) }}

),

{% endfor %}
bronze as (

    {% for entity in raw_entities() %}
    select * from {{ entity.bronze }}_stats
    {%- if not loop.last %}
    union all
    {%- endif %}
    {% endfor %}

),

final as (

    select
        raw_loads.entity,
        raw_loads.source_system,
        raw_loads.latest_load_date,
        raw_loads.latest_fetched_at,
        raw_loads.load_dates,
        raw_loads.raw_rows,
        bronze.bronze_loaded_through
    from raw_loads
    left join bronze
        on raw_loads.entity = bronze.entity

)

select * from final
