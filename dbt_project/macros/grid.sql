{#-
    The period grid of the gold models: one row per subject and period (grain day | week | month)
    from the period of `first_column` to the period of `last_column` of each row of `subjects` (a
    relation or CTE), as `period`; weeks start on Monday (ISO). `columns` are carried along. Subjects
    without a first or last date get no rows.
-#}
{% macro period_grid(subjects, columns, first_column, last_column, grain) -%}
    select
        {% for column in columns -%}
            {{ subjects }}.{{ column }},
        {% endfor -%}
        periods.period
    from {{ subjects }}
    cross join unnest(
        sequence(
            {{ period_start(grain, subjects ~ '.' ~ first_column) }},
            {{ period_start(grain, subjects ~ '.' ~ last_column) }},
            {{ period_step(grain) }}
        )
    ) as periods (period)
    where
        {{ subjects }}.{{ first_column }} is not null
        and {{ subjects }}.{{ last_column }} >= {{ subjects }}.{{ first_column }}
{%- endmacro %}

{#- the first day of the period of grain day | week | month containing the date expression -#}
{% macro period_start(grain, date_expression) -%}
    {%- if grain == 'day' -%}
        {{ date_expression }}
    {%- else -%}
        date_trunc('{{ grain }}', {{ date_expression }})
    {%- endif -%}
{%- endmacro %}

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
