{#- every non-null combination of `columns` exists as `to_columns` in `to` (a composite foreign key) -#}
{% test composite_relationship(model, columns, to, to_columns) %}

with

children as (

    select distinct {{ columns | join(', ') }}
    from {{ model }}
    where {% for column in columns %}{{ column }} is not null{{ ' and ' if not loop.last }}{% endfor %}

),

parents as (

    select distinct
        {% for column in to_columns -%}
            {{ column }} as {{ columns[loop.index0] }}{{ ',' if not loop.last }}
        {% endfor %}
    from {{ to }}

)

select children.*
from children
left join parents
    on
        {% for column in columns -%}
            children.{{ column }} = parents.{{ column }}{{ ' and ' if not loop.last }}
        {% endfor %}
where parents.{{ columns[0] }} is null

{% endtest %}
