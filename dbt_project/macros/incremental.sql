{#-
    How incremental models find what changed (the materialization is materializations/incremental.sql).

    * Bronze reads the raw rows *loaded* after its last run: `loaded_at > watermark('loaded_at')`. The
      Spark load stamps every row it writes with `loaded_at`, so a rerun or backfill of any past load
      date is picked up by the next run, whatever its load_date.
    * Every row a model writes carries `transformed_at`, the start of the dbt invocation that wrote it
      (`run_stamp()`). A downstream model reads the input rows written after its own last write:
      `transformed_at > watermark('transformed_at')`. Inputs are always built before the models that
      read them, so nothing falls between two runs, and a model that failed catches up on its next run.
-#}

{#- The highest `column` the model holds, from Iceberg's partition statistics (reading it scans no data). -#}
{% macro watermark(column) -%}
    {%- set floor = "timestamp '1970-01-01 00:00:00 UTC'" -%}
    {%- if not execute -%}
        {{ return(floor) }}
    {%- endif -%}
    {%- set stats_query -%}
        select cast(max(data.{{ column }}.max) as varchar)
        from {{ partitions_table(this) }}
    {%- endset -%}
    {%- set value = run_query(stats_query).columns[0].values()[0] -%}
    {%- if value is none -%}
        {{ return(floor) }}
    {%- endif -%}
    {{ return("timestamp '" ~ value ~ "'") }}
{%- endmacro %}

{#- The start of this dbt invocation (UTC), written into every row as `transformed_at`. -#}
{% macro run_stamp() -%}
    timestamp '{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }} UTC'
{%- endmacro %}

{#- the Iceberg `$partitions` metadata table of a relation (statistics only; reading it scans no data) -#}
{% macro partitions_table(relation) -%}
    {{ relation.database }}.{{ relation.schema }}."{{ relation.identifier }}$partitions"
{%- endmacro %}

{#-
    Run `sql` (one date column) while the model executes and return its distinct non-null values as
    sorted 'YYYY-MM-DD' strings ([] at parse time). Incremental models turn "the days that changed" into
    literal predicates with `in_dates`, so Trino prunes partitions and files when it plans the query.
-#}
{% macro query_dates(sql) -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set wrapped -%}
        select distinct cast(changed as varchar)
        from ({{ sql }}) as dates (changed)
        where changed is not null
        order by 1
    {%- endset -%}
    {{ return(run_query(wrapped).columns[0].values() | list) }}
{%- endmacro %}

{#-
    A predicate: `column` falls in one of the periods (grain day | week | month) starting on `starts`
    ('YYYY-MM-DD' strings), written as ranges with literal bounds (consecutive periods merged), so Trino
    prunes partitions and files when it plans the query. `timestamp=true` for a timestamp column (the
    bounds are UTC midnights). false for no period; true past `limit` ranges (everything is read).
-#}
{% macro in_periods(column, starts, grain='day', timestamp=false, limit=200) -%}
    {%- set ranges = [] -%}
    {%- for start in starts | sort -%}
        {%- set first = modules.datetime.date.fromisoformat(start) -%}
        {%- if grain == 'day' -%}
            {%- set after = first + modules.datetime.timedelta(days=1) -%}
        {%- elif grain == 'week' -%}
            {%- set after = first + modules.datetime.timedelta(days=7) -%}
        {%- elif grain == 'month' -%}
            {%- set after = modules.datetime.date(first.year + (first.month // 12), first.month % 12 + 1, 1) -%}
        {%- else -%}
            {{ exceptions.raise_compiler_error("in_periods: grain must be day, week or month, not " ~ grain) }}
        {%- endif -%}
        {%- if ranges and ranges[-1][1] == first -%}
            {%- do ranges[-1].pop() -%}
            {%- do ranges[-1].append(after) -%}
        {%- else -%}
            {%- do ranges.append([first, after]) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if ranges | length == 0 -%}
        false
    {%- elif ranges | length > limit -%}
        true
    {%- else -%}
        (
        {%- for range in ranges %}
            {%- if timestamp %}
            ({{ column }} >= timestamp '{{ range[0] }} 00:00:00 UTC' and {{ column }} < timestamp '{{ range[1] }} 00:00:00 UTC')
            {%- else %}
            ({{ column }} >= date '{{ range[0] }}' and {{ column }} < date '{{ range[1] }}')
            {%- endif %}
            {{- ' or' if not loop.last }}
        {%- endfor %}
        )
    {%- endif -%}
{%- endmacro %}

{#-
    The part of the target a MERGE may touch: `predicate` on the target's columns, qualified
    `dbt_internal_dest.` (usually `in_periods` over its partition and sort column, for the periods the
    run changes). The materialization adds it to the MERGE's ON clause, so Trino reads only those
    partitions and row groups of the target instead of all of it. Every row the model's query returns
    must fall inside it (else it would not match its stored row and be inserted a second time).
    Rendered as a comment the materialization finds in the compiled SQL.
-#}
{% macro merge_scope(predicate) -%}
    /* merge_scope: {{ predicate }} */
{%- endmacro %}

{#-
    `select *` from a table of the `ops` source, or -- until the pipeline has written it -- an empty
    select with the columns the source declares (so the models above it build on a fresh lake).
-#}
{% macro ops_table(table_name) -%}
    {%- set relation = source('ops', table_name) -%}
    {%- if execute and adapter.get_relation(relation.database, relation.schema, relation.identifier) is none -%}
        {%- set node = graph.sources['source.osspulse.ops.' ~ table_name] -%}
        select
            {% for name, column in node.columns.items() -%}
                cast(null as {{ column.data_type }}) as {{ name }}{{ ',' if not loop.last }}
            {% endfor -%}
        where false
    {%- else -%}
        select * from {{ relation }}
    {%- endif -%}
{%- endmacro %}

{#-
    A pre-hook of every model (dbt_project.yml): a model whose table is sorted (`sorted_by`) is written
    in small Parquet row groups (var sorted_row_group_size, 512kB), so that a filter on the sort column
    (a few days of a year partition) skips the other row groups. Nothing for the other models.
-#}
{% macro writer_settings() -%}
    {%- set properties = config.get('properties') or {} -%}
    {%- if 'sorted_by' in properties -%}
        set session {{ target.database }}.parquet_writer_block_size = '{{ var('sorted_row_group_size', '512kB') }}'
    {%- endif -%}
{%- endmacro %}
