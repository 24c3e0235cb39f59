{#-
    Incremental building blocks.

    Every layer keeps the raw `load_date` of the rows it holds (gold keeps `loaded_through`, the highest
    load_date among the source rows behind a row). An incremental run (re)processes the rows whose
    load_date is above the cutoff = (highest value the target holds) - var('lookback_days'). The highest
    value is read from the Iceberg `$partitions` statistics, so finding it scans no data.
-#}
{% macro watermark_cutoff(column='load_date') -%}
    {%- set floor = "date '1900-01-01'" -%}
    {%- if not execute -%}
        {{ return(floor) }}
    {%- endif -%}
    {%- set stats_query -%}
        select cast(max(data.{{ column }}.max) as varchar)
        from {{ this.database }}.{{ this.schema }}."{{ this.identifier }}$partitions"
    {%- endset -%}
    {%- set value = run_query(stats_query).columns[0].values()[0] -%}
    {%- if value is none -%}
        {{ return(floor) }}
    {%- endif -%}
    {{ return("(date '" ~ value ~ "' - interval '" ~ var('lookback_days') ~ "' day)") }}
{%- endmacro %}

{#- The temporary relation of an incremental run: a view for the single-statement strategies. -#}
{% macro get_incremental_tmp_relation_type(strategy, unique_key, language) -%}
    {%- if language == 'sql' and strategy in ('default', 'append', 'merge', 'latest_merge') -%}
        {{ return('view') }}
    {%- else -%}
        {{ return('table') }}
    {%- endif -%}
{%- endmacro %}

{#-
    incremental_strategy='latest_merge' (bronze): a merge on unique_key that never replaces a stored
    version with an older one (older = earlier fetched_at, then earlier load_date). A re-read of an
    already merged load date (the lookback) therefore cannot roll a record back.
-#}
{% macro get_incremental_latest_merge_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set unique_key = arg_dict['unique_key'] -%}
    {%- set dest_columns = arg_dict['dest_columns'] -%}
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    {%- set names = dest_columns | map(attribute='name') | list -%}
    merge into {{ target }} as dbt_internal_dest
    using {{ source }} as dbt_internal_source
    on {% for key in keys %}dbt_internal_source.{{ key }} = dbt_internal_dest.{{ key }}{{ ' and ' if not loop.last }}{% endfor %}
    when matched and (
        dbt_internal_source.fetched_at > dbt_internal_dest.fetched_at
        or (
            dbt_internal_source.fetched_at = dbt_internal_dest.fetched_at
            and dbt_internal_source.load_date >= dbt_internal_dest.load_date
        )
    ) then update set
        {% for name in names if name not in keys -%}
            {{ adapter.quote(name) }} = dbt_internal_source.{{ adapter.quote(name) }}{{ ',' if not loop.last }}
        {% endfor %}
    when not matched then insert ({{ names | map('string') | join(', ') }})
    values (
        {%- for name in names -%}
            dbt_internal_source.{{ adapter.quote(name) }}{{ ', ' if not loop.last }}
        {%- endfor -%}
    )
{%- endmacro %}
