{#-
    A lean `incremental` materialization for Trino / Iceberg (overrides dbt-trino's for this project).

    dbt-trino's version spends six to ten statements per model (a temporary view or table, three
    column look-ups, the merge, the drop); on small daily batches that overhead is most of the run.
    This one:
      * first build, --full-refresh, or the relation is a view: `create or replace table ... as`
        (one statement, atomic: readers see the old table until the new one is committed);
      * otherwise one column look-up of the target and one MERGE whose source is the model's SQL:
          merge         merge on `unique_key`: update matched rows, insert the others;
          latest_merge  the same, but a matched row is only replaced by a version at least as new
                        (fetched_at, then load_date): a re-read never rolls a record back.
    Rows are never deleted: models are written so that a key, once produced, is produced again
    (dense period grids, immutable facts). Schema changes need --full-refresh.
-#}
{% materialization incremental, adapter='trino', supported_languages=['sql'] -%}

    {%- set unique_key = config.require('unique_key') -%}
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    {%- set strategy = config.get('incremental_strategy') or 'merge' -%}
    {%- if strategy not in ('merge', 'latest_merge') -%}
        {{ exceptions.raise_compiler_error(
            "incremental_strategy must be merge or latest_merge in this project, not " ~ strategy
        ) }}
    {%- endif -%}
    {%- set existing_relation = load_cached_relation(this) -%}
    {%- set target_relation = this.incorporate(type='table') -%}

    {{ run_hooks(pre_hooks) }}

    {%- if existing_relation is none or existing_relation.is_view or should_full_refresh() -%}
        {%- if existing_relation is not none and existing_relation.is_view -%}
            {% do adapter.drop_relation(existing_relation) %}
        {%- endif -%}
        {%- call statement('main') -%}
            {{ create_table_as(False, target_relation, compiled_code, 'replace') }}
        {%- endcall -%}
    {%- else -%}
        {%- set columns = adapter.get_columns_in_relation(target_relation) | map(attribute='name') | list -%}
        {%- call statement('main') -%}
            merge into {{ target_relation }} as dbt_internal_dest
            using (
                {{ compiled_code }}
            ) as dbt_internal_source
            on {% for key in keys -%}
                dbt_internal_source.{{ key }} = dbt_internal_dest.{{ key }}{{ ' and ' if not loop.last }}
            {%- endfor %}
            when matched
            {%- if strategy == 'latest_merge' %} and (
                dbt_internal_source.fetched_at > dbt_internal_dest.fetched_at
                or (
                    dbt_internal_source.fetched_at = dbt_internal_dest.fetched_at
                    and dbt_internal_source.load_date >= dbt_internal_dest.load_date
                )
            )
            {%- endif %} then update set
                {% for column in columns if column not in keys -%}
                    {{ adapter.quote(column) }} = dbt_internal_source.{{ adapter.quote(column) }}{{ ',' if not loop.last }}
                {% endfor %}
            when not matched then insert (
                {%- for column in columns -%}
                    {{ adapter.quote(column) }}{{ ', ' if not loop.last }}
                {%- endfor -%}
            )
            values (
                {%- for column in columns -%}
                    dbt_internal_source.{{ adapter.quote(column) }}{{ ', ' if not loop.last }}
                {%- endfor -%}
            )
        {%- endcall -%}
    {%- endif -%}

    {{ run_hooks(post_hooks) }}

    {%- set grant_config = config.get('grants') -%}
    {%- do apply_grants(target_relation, grant_config, should_revoke=False) -%}

    {{ return({'relations': [target_relation]}) }}

{%- endmaterialization %}
