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
    `delete_when` (optional): a predicate on the model's columns marking rows that must not exist. A
    batch row for which it holds deletes the stored row with its key (and is not inserted); a full
    build leaves such rows out. Models use it to drop records deleted at the source (tombstones) and
    groups that lost their last member.
    `update_changed_only` (optional): a matched row is only rewritten when one of its columns (other
    than the key and transformed_at) changed, so transformed_at says when the row last changed. Models
    that recompute all their rows every run use it to give downstream models a change feed.
    `merge_scope(...)` in the model's SQL (macros/incremental.sql) narrows the MERGE to the partitions
    and row groups of the target the run changes.
    Schema changes need --full-refresh.
-#}
{% materialization incremental, adapter='trino', supported_languages=['sql'] -%}

    {%- set unique_key = config.require('unique_key') -%}
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    {%- set strategy = config.get('incremental_strategy') or 'merge' -%}
    {%- set delete_when = config.get('delete_when') -%}
    {%- set update_changed_only = config.get('update_changed_only', false) -%}
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
        {%- set full_sql -%}
            {%- if delete_when -%}
                select * from (
                    {{ compiled_code }}
                ) as dbt_internal_source
                where not coalesce({{ delete_when }}, false)
            {%- else -%}
                {{ compiled_code }}
            {%- endif -%}
        {%- endset -%}
        {%- call statement('main') -%}
            {{ create_table_as(False, target_relation, full_sql, 'replace') }}
        {%- endcall -%}
    {%- else -%}
        {%- set columns = adapter.get_columns_in_relation(target_relation) | map(attribute='name') | list -%}
        {%- set deleted = 'coalesce(' ~ delete_when ~ ', false)' if delete_when else 'false' -%}
        {%- set scope = modules.re.search('/\\* merge_scope: (.*?) \\*/', compiled_code, modules.re.DOTALL) -%}
        {%- call statement('main') -%}
            merge into {{ target_relation }} as dbt_internal_dest
            using (
                select *, {{ deleted }} as dbt_internal_deleted
                from (
                    {{ compiled_code }}
                ) as dbt_internal_model
            ) as dbt_internal_source
            on {% for key in keys -%}
                dbt_internal_source.{{ key }} = dbt_internal_dest.{{ key }}{{ ' and ' if not loop.last }}
            {%- endfor %}
            {%- if scope %}
                and {{ scope.group(1) }}
            {%- endif %}
            {%- if delete_when %}
            when matched and dbt_internal_source.dbt_internal_deleted then delete
            {%- endif %}
            when matched
            {%- if strategy == 'latest_merge' %} and (
                dbt_internal_source.fetched_at > dbt_internal_dest.fetched_at
                or (
                    dbt_internal_source.fetched_at = dbt_internal_dest.fetched_at
                    and dbt_internal_source.load_date >= dbt_internal_dest.load_date
                )
            )
            {%- endif %}
            {%- if update_changed_only %} and (
                {%- for column in columns if column not in keys and column != 'transformed_at' %}
                dbt_internal_source.{{ adapter.quote(column) }} is distinct from dbt_internal_dest.{{ adapter.quote(column) }}
                {{- ' or' if not loop.last }}
                {%- endfor %}
            )
            {%- endif %} then update set
                {% for column in columns if column not in keys -%}
                    {{ adapter.quote(column) }} = dbt_internal_source.{{ adapter.quote(column) }}{{ ',' if not loop.last }}
                {% endfor %}
            when not matched and not dbt_internal_source.dbt_internal_deleted then insert (
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
