{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key=['repo_id', 'authored_on'],
        delete_when='commits = 0 and merge_commits = 0',
        properties={'partitioning': "ARRAY['year(authored_on)']", 'sorted_by': "ARRAY['authored_on']"},
    )
}}

{#-
    Commits per repository and UTC day with the people behind them: authored commits (bots included
    and not), merge commits, distinct people with an authored commit (bots included and not). What the
    daily activity grid reads, at one row per repository and day.

    Incremental: the days that received a commit written to bronze since the last run (new, re-read or
    deleted), and every day of the identities that moved to another person (or whose person became a
    bot) since then, are recomputed whole; a day left without any commit is removed.
-#}

{%- set bronze_commits = ref('github_commits') %}
{%- set identities_relation = ref('dim_contributor_identities') %}
{%- set author_days_relation = ref('fct_author_commit_days') %}
{%- if is_incremental() %}
{%- set since = watermark('transformed_at') %}
    {%- set remapped = query_dates(
        "select cast(transformed_at as date) from " ~ identities_relation ~ " where transformed_at > " ~ since
    ) %}
    {%- set changed_days = query_dates(
        "select authored_on from " ~ bronze_commits ~ " where transformed_at > " ~ since
        ~ (
            " union select author_days.authored_on from " ~ author_days_relation ~ " as author_days
            inner join " ~ identities_relation ~ " as identities
                on author_days.identity_key = identities.identity_key
            where identities.transformed_at > " ~ since
        if remapped else "")
    ) %}
{%- endif %}

with

author_days as (

    select * from {{ author_days_relation }}
    {%- if is_incremental() %}
    where {{ in_periods('authored_on', changed_days) }}
    {{ merge_scope(in_periods('dbt_internal_dest.authored_on', changed_days)) }}
    {%- endif %}

),

identities as (

    select * from {{ identities_relation }}

),

people as (

    select
        author_days.*,
        identities.contributor_id,
        coalesce(identities.contributor_is_bot, false) as is_bot
    from author_days
    left join identities
        on author_days.identity_key = identities.identity_key

),

counted as (

    select
        repo_id,
        authored_on,
        sum(commits) as commits,
        sum(commits) filter (where not is_bot) as human_commits,
        sum(merge_commits) as merge_commits,
        count(distinct contributor_id) filter (where commits > 0) as active_authors,
        count(distinct contributor_id) filter (where commits > 0 and not is_bot) as human_active_authors
    from people
    group by repo_id, authored_on

),

{% if is_incremental() %}
vanished as (

    select
        stored.repo_id,
        stored.authored_on,
        0 as commits,
        0 as human_commits,
        0 as merge_commits,
        0 as active_authors,
        0 as human_active_authors
    from {{ this }} as stored
    where
        {{ in_periods('stored.authored_on', changed_days) }}
        and not exists (
            select 1 as found
            from counted
            where counted.repo_id = stored.repo_id and counted.authored_on = stored.authored_on
        )

),

{% endif %}
final as (

    select
        repo_id,
        authored_on,
        commits,
        coalesce(human_commits, 0) as human_commits,
        merge_commits,
        active_authors,
        human_active_authors,
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
