{{ config(materialized='table') }}

{#-
    What lake.raw holds and when each entity was last loaded, per entity: from Iceberg partition
    statistics (no data scan) the latest load_date, fetched_at and loaded_at, the number of load dates
    and rows (every version); from the load audit the last load (with or without new rows) and whether
    it found rows; and the latest loaded_at the entity's bronze model has merged.
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
        data.fetched_at.max as max_fetched_at,
        data.loaded_at.max as max_loaded_at
    from {{ partitions_table(source('raw', entity.name)) }}

),

{{ entity.name }}_bronze as (

    select
        '{{ entity.name }}' as entity,
        max(data.loaded_at.max) as bronze_loaded_at
    from {{ partitions_table(ref(entity.name)) }}

),

{% endfor %}
bronze as (

    {% for entity in raw_entities() %}
    select * from {{ entity.name }}_bronze
    {%- if not loop.last %}
    union all
    {%- endif %}
    {% endfor %}

),

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
        max(max_loaded_at) as latest_loaded_at,
        count(load_date) as load_dates,
        sum(record_count) as raw_rows
    from all_partitions
    group by entity

),

audit_rows as (

    {{ ops_table('load_audit') }}

),

audit as (

    select
        entity,
        max(finished_at) as last_load_finished_at,
        max(finished_at) filter (where status = 'loaded') as last_load_with_rows_at
    from audit_rows
    where
        namespace = '{{ var('raw_schema', env_var('OSSPULSE_DBT_RAW_SCHEMA', 'raw')) }}'
        and status in ('loaded', 'empty')
    group by entity

),

final as (

    select
        entities.entity,
        entities.source_system,
        loads.latest_load_date,
        {{ utc('loads.latest_fetched_at') }} as latest_fetched_at,
        {{ utc('loads.latest_loaded_at') }} as latest_loaded_at,
        coalesce(loads.load_dates, 0) as load_dates,
        coalesce(loads.raw_rows, 0) as raw_rows,
        {{ utc('audit.last_load_finished_at') }} as last_load_finished_at,
        {{ utc('audit.last_load_with_rows_at') }} as last_load_with_rows_at,
        {{ utc('bronze.bronze_loaded_at') }} as bronze_loaded_at
    from entities
    left join loads
        on entities.entity = loads.entity
    left join audit
        on entities.entity = audit.entity
    left join bronze
        on entities.entity = bronze.entity

)

select * from final
