{#-
    Schemas are exactly the folder's `+schema` (bronze, silver, gold), not dbt's default
    `<target schema>_<custom schema>`. A dev or test build puts a prefix in front through the
    environment variable OSSPULSE_DBT_SCHEMA_PREFIX (e.g. `t_ab12_` writes lake.t_ab12_bronze, ...);
    `osspulse dbt --schema-prefix` sets it.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set prefix = env_var('OSSPULSE_DBT_SCHEMA_PREFIX', '') | trim -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ prefix }}{{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
