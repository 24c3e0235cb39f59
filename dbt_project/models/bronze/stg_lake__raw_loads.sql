{{ config(materialized='table', on_table_exists='replace') }}

{#-
    What has been loaded into lake.raw, per entity, read from Iceberg partition statistics (no data
    scan): the latest load_date and fetched_at, how many load dates and rows the raw table holds.
-#}

with

entities as (

    select *
    from (
        values
        {% for entity in raw_entities() -%}
        ('{{ entity.name }}', '{{ entity.system }}'){{ ',' if not loop.last }}
        {% endfor -%}
    ) as entities (entity, source_system)

),

{% for entity in raw_entities() %}
{{ entity.name }}_partitions as (

    select
        '{{ entity.name }}' as entity,
        partition.load_date,
        -- partition and data are columns of the $partitions table, not table names
        record_count,  -- noqa: RF03
        data.fetched_at.max as max_fetched_at
    from {{ partitions_table(source('raw', entity.name)) }}

),

{% endfor %}
all_partitions as (

    {% for entity in raw_entities() %}
    select * from {{ entity.name }}_partitions
    {%- if not loop.last %}
    union all
    {%- endif %}
    {% endfor %}

),

loads as (

    select
        entity,
        max(load_date) as latest_load_date,
        max(max_fetched_at) as latest_fetched_at,
        count(load_date) as load_dates,
        sum(record_count) as raw_rows
    from all_partitions
    group by entity

),

final as (

    select
        entities.entity,
        entities.source_system,
        loads.latest_load_date,
        {{ utc('loads.latest_fetched_at') }} as latest_fetched_at,
        coalesce(loads.load_dates, 0) as load_dates,
        coalesce(loads.raw_rows, 0) as raw_rows
    from entities
    left join loads
        on entities.entity = loads.entity

)

select * from final
