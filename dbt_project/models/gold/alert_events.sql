{{ config(
    materialized='incremental',
    incremental_strategy='merge',
    unique_key='event_id',
    full_refresh=false,
) }}

{#-
    The history of alert events: one row per event, first seen and (once the condition stops holding)
    resolved. Each run compares what holds now (alert_conditions) with the events kept so far and
    writes only what changed -- a new event, an event that resolved, a resolved event that holds again
    -- so a rerun on the same data writes nothing, and an event fires once however many runs it stays
    true. History survives `--full-refresh` (full_refresh=false): first seen is when OSS Pulse first
    saw it.

    An event's identity (event_id): the rule, the subject, the event key and, for the kinds about one
    period (a release, a week's downloads or stars), the period. The kinds about a state (unanswered
    share, absence factor, Python version share, stale data) keep one event while the state lasts,
    whatever the period: its period and value are those it was first seen with.
-#}

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
        end as event_id,
        *
    from conditions

),

known as (

    {% if is_incremental() %}
    select * from {{ this }}
    {% else %}
    -- a first build: no events yet
    select
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

holding as (

    -- several rows of one state event (e.g. a state seen in two periods at once): the earliest period
    select
        *,
        row_number() over (partition by event_id order by period_start) as event_rank
    from identified

),

changed as (

    select
        holding.event_id,
        holding.rule,
        holding.kind,
        holding.subject_type,
        holding.subject,
        holding.repo_id,
        holding.event_key,
        holding.period_start,
        holding.period_grain,
        holding.observed_value,
        holding.threshold,
        holding.detail,
        {{ run_stamp() }} as first_seen,
        cast(null as timestamp(6) with time zone) as resolved_at
    from holding
    left join known
        on holding.event_id = known.event_id
    where holding.event_rank = 1 and known.event_id is null

    union all

    -- resolved before and holding again: open again, as first seen
    select
        known.event_id,
        known.rule,
        known.kind,
        known.subject_type,
        known.subject,
        known.repo_id,
        known.event_key,
        known.period_start,
        known.period_grain,
        known.observed_value,
        known.threshold,
        known.detail,
        known.first_seen,
        cast(null as timestamp(6) with time zone) as resolved_at
    from known
    inner join holding
        on known.event_id = holding.event_id and holding.event_rank = 1
    where known.resolved_at is not null

    union all

    -- open and no longer holding: resolved now
    select
        known.event_id,
        known.rule,
        known.kind,
        known.subject_type,
        known.subject,
        known.repo_id,
        known.event_key,
        known.period_start,
        known.period_grain,
        known.observed_value,
        known.threshold,
        known.detail,
        known.first_seen,
        {{ run_stamp() }} as resolved_at
    from known
    left join holding
        on known.event_id = holding.event_id
    where known.resolved_at is null and holding.event_id is null

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
