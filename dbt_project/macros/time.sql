{#-
    Every calendar bucket is UTC. Raw timestamps are `timestamp(6) with time zone`; a value that carries
    another zone (e.g. an author date written as 2024-01-31 23:30 -05:00) must be converted before it is
    cast to a date, or Trino would take the local date (Jan 31) instead of the UTC date (Feb 1).
-#}

{% macro utc(column) -%}
    ({{ column }} at time zone 'UTC')
{%- endmacro %}

{% macro utc_date(column) -%}
    cast(({{ column }} at time zone 'UTC') as date)
{%- endmacro %}
