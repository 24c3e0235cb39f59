{{ config(
    materialized='incremental',
    incremental_strategy='merge',
    unique_key='event_id',
    full_refresh=false,
) }}

{#-
    The history of alert events: one row per event, first seen and (once the condition stops holding)
    resolved. Each run compares what holds now (alert_conditions) with the events kept so far and
    writes only what changed -- a new event, an event that resolved -- so a rerun on the same data
    writes nothing, and an event fires once however many runs it stays true. History survives
    `--full-refresh` (full_refresh=false): first seen is when OSS Pulse first saw it.

    A condition's identity (condition_id): the rule, the subject, the event key and, for the kinds about
    one period (a release, a week's downloads or stars), the period. The kinds about a state (unanswered
    share, absence factor, Python version share, stale data) keep one event while the state lasts,
    whatever the period: its period and value are those it was first seen with.

    A condition that resolved and holds again is a NEW event (an episode: the data went stale again, the
    project is down to one contributor again), first seen now, so it is delivered and counted in that
    week's digest. event_id = condition_id for the first episode, condition_id || '|#' || n for the n-th:
    the last field of a condition_id is a date or empty, never '#...', so the suffix is unambiguous.
-#}

{%- set columns = ['rule', 'kind', 'subject_type', 'subject', 'repo_id', 'event_key', 'period_start',
                   'period_grain', 'observed_value', 'threshold', 'detail'] -%}

with

conditions as (

    select * from {{ ref('alert_conditions') }}

),

identified as (

    select
        rule
        || '|' || subject
        || '|' || event_key
        || '|' || case
            when kind in ('new_release', 'downloads_change', 'stars_gained') then cast(period_start as varchar)
            else ''
        end as condition_id,
        *
    from conditions

),

holding as (

    -- several rows of one state condition (e.g. a state seen in two periods at once): the earliest period
    select
        *,
        row_number() over (partition by condition_id order by period_start) as condition_rank
    from identified

),

known as (

    {% if is_incremental() %}
    select
        regexp_replace(event_id, '\|#[0-9]+$', '') as condition_id,
        event_id,
        {{ columns | join(', ') }},
        first_seen,
        resolved_at
    from {{ this }}
    {% else %}
    -- a first build: no events yet
    select
        cast(null as varchar) as condition_id,
        cast(null as varchar) as event_id,
        cast(null as varchar) as rule,
        cast(null as varchar) as kind,
        cast(null as varchar) as subject_type,
        cast(null as varchar) as subject,
        cast(null as bigint) as repo_id,
        cast(null as varchar) as event_key,
        cast(null as date) as period_start,
        cast(null as varchar) as period_grain,
        cast(null as double) as observed_value,
        cast(null as double) as threshold,
        cast(null as varchar) as detail,
        cast(null as timestamp(6) with time zone) as first_seen,
        cast(null as timestamp(6) with time zone) as resolved_at
    where false
    {% endif %}

),

episodes as (

    -- per condition: the events so far and whether one is open (at most one is)
    select
        condition_id,
        count(*) as episodes,
        count_if(resolved_at is null) > 0 as is_open
    from known
    group by condition_id

),

changed as (

    -- holding, and no open event: a new event (the first episode, or the next one)
    select
        case
            when episodes.condition_id is null then holding.condition_id
            else holding.condition_id || '|#' || cast(episodes.episodes + 1 as varchar)
        end as event_id,
        {% for c in columns %}holding.{{ c }},{% endfor %}
        {{ run_stamp() }} as first_seen,
        cast(null as timestamp(6) with time zone) as resolved_at
    from holding
    left join episodes
        on holding.condition_id = episodes.condition_id
    where holding.condition_rank = 1 and not coalesce(episodes.is_open, false)

    union all

    -- open and no longer holding: resolved now
    select
        known.event_id,
        {% for c in columns %}known.{{ c }},{% endfor %}
        known.first_seen,
        {{ run_stamp() }} as resolved_at
    from known
    left join holding
        on known.condition_id = holding.condition_id
    where known.resolved_at is null and holding.condition_id is null

),

final as (

    select
        event_id,
        rule,
        kind,
        subject_type,
        subject,
        cast(repo_id as bigint) as repo_id,
        event_key,
        cast(period_start as date) as period_start,
        period_grain,
        cast(observed_value as double) as observed_value,
        cast(threshold as double) as threshold,
        detail,
        first_seen,
        resolved_at,
        {{ run_stamp() }} as transformed_at
    from changed

)

select * from final
