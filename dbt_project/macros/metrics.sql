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
