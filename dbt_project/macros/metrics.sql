{#- (current - previous) / previous; null when previous is 0 or missing -#}
{% macro pct_change(current, previous) -%}
    case
        when {{ previous }} is null or {{ previous }} = 0 then null
        else cast(({{ current }}) - ({{ previous }}) as double) / ({{ previous }})
    end
{%- endmacro %}

{#- numerator / denominator as a double; null when the denominator is 0 or missing -#}
{% macro safe_ratio(numerator, denominator) -%}
    case
        when {{ denominator }} is null or {{ denominator }} = 0 then null
        else cast({{ numerator }} as double) / ({{ denominator }})
    end
{%- endmacro %}

{#- a duration in hours (double) between two timestamps with time zone -#}
{% macro hours_between(start, finish) -%}
    (cast(to_unixtime({{ finish }}) - to_unixtime({{ start }}) as double) / 3600.0)
{%- endmacro %}

{#-
    Exact median and 90th percentile over rows that carry `value_rank` (row_number over the ascending
    non-null values of the measure's partition) and `value_count` (count of its non-null values):
    median = the middle value, or the mean of the two middle values; p90 = nearest rank, the value at
    rank ceil(0.9 n). Trino's approx_percentile is approximate; these are exact and deterministic.
-#}
{% macro median_where(value, condition) -%}
    avg({{ value }}) filter (
        where {{ condition }} and value_rank in ((value_count + 1) / 2, (value_count + 2) / 2)
    )
{%- endmacro %}

{% macro p90_where(value, condition) -%}
    max({{ value }}) filter (
        where {{ condition }} and value_rank = cast(ceiling(0.9 * value_count) as bigint)
    )
{%- endmacro %}
