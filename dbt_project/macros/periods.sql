{#- the step between two consecutive periods of a grain, for sequence() -#}
{% macro period_step(grain) -%}
    {%- if grain == 'day' -%}
        interval '1' day
    {%- elif grain == 'week' -%}
        interval '7' day
    {%- elif grain == 'month' -%}
        interval '1' month
    {%- else -%}
        {{ exceptions.raise_compiler_error("grain must be day, week or month, not " ~ grain) }}
    {%- endif -%}
{%- endmacro %}

{#- the last day of the period of grain `grain` starting at the date expression `start` -#}
{% macro period_end(grain, start) -%}
    date_add('day', -1, {{ start }} + {{ period_step(grain) }})
{%- endmacro %}

{#-
    greatest() of date expressions, ignoring nulls (Trino's greatest returns null if any argument is
    null); null only when every argument is null
-#}
{% macro greatest_of(expressions) -%}
    array_max(filter(array[{{ expressions | join(', ') }}], x -> x is not null))
{%- endmacro %}
