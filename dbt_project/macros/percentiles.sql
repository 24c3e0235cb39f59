{#-
    Exact median and 90th percentile of `value` per group, as a SELECT over `relation` (a CTE name).
    median: the middle value, or the mean of the two middle values when the count is even.
    p90: nearest-rank method, the value at rank ceil(0.9 * n) of the ascending values.
    Null values are ignored. Output columns: the group columns, <prefix>_median, <prefix>_p90,
    <prefix>_count. (Trino's approx_percentile is approximate; these are exact and deterministic.)
-#}
{% macro median_p90(relation, group_by, value, prefix) -%}
    select
        {{ group_by | join(', ') }},
        avg(case when value_rank in ((value_count + 1) / 2, (value_count + 2) / 2) then metric_value end)
            as {{ prefix }}_median,
        max(case when value_rank = cast(ceiling(0.9 * value_count) as bigint) then metric_value end)
            as {{ prefix }}_p90,
        max(value_count) as {{ prefix }}_count
    from (
        select
            {{ group_by | join(', ') }},
            {{ value }} as metric_value,
            row_number() over (partition by {{ group_by | join(', ') }} order by {{ value }}) as value_rank,
            count(*) over (partition by {{ group_by | join(', ') }}) as value_count
        from {{ relation }}
        where {{ value }} is not null
    ) as ranked
    group by {{ group_by | join(', ') }}
{%- endmacro %}

{#-
    Single-pass variants for rows that carry several measures: with `value_rank` (row_number over
    the ascending non-null values of one measure's partition) and `value_count` (count of its non-null
    values) computed by a window, these aggregate the median / p90 of the rows where `condition` holds.
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
