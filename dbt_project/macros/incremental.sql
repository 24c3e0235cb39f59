{#-
    Incremental building blocks (the materialization itself is macros/materializations/incremental.sql).

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

{#-
    Run `sql` (one date column) while the model executes and return its distinct non-null values as
    sorted 'YYYY-MM-DD' strings. Incremental models use it to turn "what changed" into literal
    predicates, so Trino prunes partitions and files when it plans the query (dynamic filters are not
    reliable enough for that).
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
    ('YYYY-MM-DD' strings). `false` for no period; `true` when there are too many periods to be worth
    listing (the query then reads everything, which is slower but still correct).
-#}
{% macro in_periods(column, grain, starts, limit=400) -%}
    {%- if starts | length == 0 -%}
        false
    {%- elif starts | length > limit -%}
        true
    {%- elif grain == 'day' -%}
        {{ column }} in ({% for day in starts %}date '{{ day }}'{{ ', ' if not loop.last }}{% endfor %})
    {%- else -%}
        (
        {%- for start in starts %}
            ({{ column }} >= date '{{ start }}' and {{ column }} < date '{{ start }}' + {{ period_step(grain) }})
            {{- ' or' if not loop.last }}
        {%- endfor %}
        )
    {%- endif -%}
{%- endmacro %}

{#- A predicate: `column` falls in one of the [start, end] ranges (pairs of 'YYYY-MM-DD' SQL expressions). -#}
{% macro in_ranges(column, ranges, limit=400) -%}
    {%- if ranges | length == 0 -%}
        false
    {%- elif ranges | length > limit -%}
        true
    {%- else -%}
        (
        {%- for range in ranges %}
            ({{ column }} between {{ range[0] }} and {{ range[1] }}){{ ' or' if not loop.last }}
        {%- endfor %}
        )
    {%- endif -%}
{%- endmacro %}

{#- Run `sql` while the model executes and return its rows (lists of values); [] at parse time. -#}
{% macro query_rows(sql) -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {{ return(run_query(sql).rows | map('list') | list) }}
{%- endmacro %}

{#- A predicate: (repo, number) is one of `rows` ([repo, number] pairs); also filters on number alone,
    which Trino can check against file statistics. -#}
{% macro repo_number_in(rows, repo='repo', number='number') -%}
    (
        {{ number }} in ({% for row in rows %}{{ row[1] }}{{ ', ' if not loop.last }}{% endfor %})
        and ({{ repo }}, {{ number }}) in (
            {%- for row in rows -%}
                ('{{ row[0] | replace("'", "''") }}', {{ row[1] }}){{ ', ' if not loop.last }}
            {%- endfor -%}
        )
    )
{%- endmacro %}

