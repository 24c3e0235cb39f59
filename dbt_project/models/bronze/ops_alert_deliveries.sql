{{ config(materialized='view', tags=['alerts']) }}

{#-
    lake.ops.alert_deliveries (empty until something was delivered), one row per recipient and message:
    the first delivery, should a retry after a lost acknowledgement have recorded one twice.
-#}

with

deliveries as (

    {{ ops_table('alert_deliveries') }}

),

keyed as (

    select
        *,
        coalesce(event_id, cast(digest_week as varchar)) as delivery_key
    from deliveries

),

final as (

    select
        recipient,
        channel,
        message,
        delivery_key,
        event_id,
        digest_week,
        min(delivered_at) as delivered_at,
        min_by(run_id, delivered_at) as run_id,
        count(*) as times_recorded
    from keyed
    group by recipient, channel, message, delivery_key, event_id, digest_week

)

select * from final
