{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key=['repo_id', 'identity_key', 'authored_on'],
        delete_when='commits = 0 and merge_commits = 0',
        properties={'partitioning': "ARRAY['year(authored_on)']", 'sorted_by': "ARRAY['authored_on']"},
    )
}}

{#-
    Commits per repository, author identity and UTC author day: the grain every commit metric is built
    from. `commits` are authored commits (one parent), `merge_commits` are counted apart. An author
    with neither user id, login, e-mail nor name is the identity `anonymous` (counted in commits,
    never as a person).

    Incremental: the UTC days of the commits written to bronze since the last run (new, re-read or
    deleted) are recomputed whole; an identity that no longer has a commit on such a day (its commit
    was deleted, or now names its author differently) is removed.
-#}

{#- what changed is read from bronze: it still holds deleted commits (tombstones) -#}
{%- set bronze_commits = ref('github_commits') %}
{%- if is_incremental() %}
    {%- set changed_days = query_dates(
        "select authored_on from " ~ bronze_commits
        ~ " where transformed_at > " ~ watermark('transformed_at')
    ) %}
{%- endif %}

with

commits as (

    select * from {{ ref('fct_commits') }}
    {%- if is_incremental() %}
    -- the ranges reach bronze's partitions and row groups through the view
    where {{ in_periods('authored_on', changed_days) }}
    {{ merge_scope(in_periods('dbt_internal_dest.authored_on', changed_days)) }}
    {%- endif %}

),

counted as (

    select
        repo_id,
        identity_key,
        authored_on,
        count_if(not is_merge_commit) as commits,
        count_if(is_merge_commit) as merge_commits
    from commits
    group by repo_id, identity_key, authored_on

),

{% if is_incremental() %}
vanished as (

    select
        stored.repo_id,
        stored.identity_key,
        stored.authored_on,
        0 as commits,
        0 as merge_commits
    from {{ this }} as stored
    where
        {{ in_periods('stored.authored_on', changed_days) }}
        and not exists (
            select 1 as found
            from counted
            where
                counted.repo_id = stored.repo_id
                and counted.identity_key = stored.identity_key
                and counted.authored_on = stored.authored_on
        )

),

{% endif %}
final as (

    select
        *,
        {{ run_stamp() }} as transformed_at
    from (
        select * from counted
        {%- if is_incremental() %}
        union all
        select * from vanished
        {%- endif %}
    ) as days

)

select * from final
