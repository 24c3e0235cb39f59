{#-
    Shared by the repo_activity_* and other grid-based gold models.

    The grid: every repository has one row per period from the period of its first activity to the
    period of the as-of date (the latest load_date or activity date of any GitHub row), zeros
    included.

    Incremental builds recompute the periods whose inputs changed. `activity_changed_dates_sql` lists
    the UTC dates touched by inputs newer than `cutoff`: commit days, the first commit day of each
    contributor whose commits changed and the first commit day they had before (the earliest commit
    day not among the changed ones: a rebased pull request can bring an older commit), every date an
    issue or pull request was opened, closed (including every closing it had before a reopen: it no
    longer counts there) or merged, and release days.
-#}

{% macro activity_as_of(repositories='repositories') -%}
    {{ greatest_of(['max(' ~ repositories ~ '.last_activity_on)', 'max(' ~ repositories ~ '.load_date)']) }}
{%- endmacro %}

{% macro activity_grid(grain, repositories='repositories', as_of='as_of') -%}
    select
        {{ repositories }}.repo,
        periods.period
    from {{ repositories }}
    cross join {{ as_of }}
    cross join unnest(
        sequence(
            {{ period_start(grain, repositories ~ '.first_activity_on') }},
            {{ period_start(grain, as_of ~ '.as_of_date') }},
            {{ period_step(grain) }}
        )
    ) as periods (period)
    where {{ repositories }}.first_activity_on is not null
{%- endmacro %}

{% macro activity_changed_dates_sql(cutoff) -%}
    select changed_on from (
        select authored_on as changed_on
        from {{ ref('fct_author_commit_days') }}
        where load_date > {{ cutoff }}

        union all

        select {{ utc_date('first_commit_at') }} as changed_on
        from {{ ref('dim_repo_contributors') }}
        where load_date > {{ cutoff }}

        union all

        select array_min(array_except(repo_contributors.commit_dates, changed.dates)) as changed_on
        from {{ ref('dim_repo_contributors') }} as repo_contributors
        inner join (
            select
                repo,
                contributor_id,
                array_agg(authored_on) as dates
            from {{ ref('fct_author_commit_days') }}
            where load_date > {{ cutoff }}
            group by repo, contributor_id
        ) as changed
            on
                repo_contributors.repo = changed.repo
                and repo_contributors.contributor_id = changed.contributor_id

        union all

        select item_dates.changed_on
        from {{ ref('fct_issues_and_pull_requests') }} as items
        cross join unnest(
            concat(array[items.created_on, items.closed_on, items.merged_on], items.closed_dates_seen)
        ) as item_dates (changed_on)
        where items.load_date > {{ cutoff }}

        union all

        select published_on as changed_on
        from {{ ref('fct_releases') }}
        where load_date > {{ cutoff }}
    ) as changes
{%- endmacro %}

{#-
    The periods (grain) an incremental build of a grid model recomputes: those of `changed_dates_sql`,
    expanded by `window` periods after each (for trailing-window metrics), plus every period after the
    last one the table holds up to the as-of period (`as_of_sql` is a scalar SQL date expression).
    Returns 'YYYY-MM-DD' strings.
-#}
{% macro periods_to_rebuild(grain, changed_dates_sql, as_of_sql, period_column, window=0) -%}
    {%- set sql -%}
        select date_add('{{ grain }}', offsets.k, changed.period)
        from (
            select distinct {{ period_start(grain, 'changed_on') }} as period
            from ({{ changed_dates_sql }}) as dates (changed_on)
            where changed_on is not null
        ) as changed
        cross join unnest(sequence(0, {{ window }})) as offsets (k)

        union all

        select periods.period
        from (
            select
                max(data.{{ period_column }}.max) as last_period,
                {{ period_start(grain, as_of_sql) }} as as_of_period
            from {{ partitions_table(this) }}
        ) as bounds
        cross join unnest(
            sequence(
                coalesce(bounds.last_period, bounds.as_of_period),
                greatest(coalesce(bounds.last_period, bounds.as_of_period), bounds.as_of_period),
                {{ period_step(grain) }}
            )
        ) as periods (period)
    {%- endset -%}
    {{ return(query_dates(sql)) }}
{%- endmacro %}
