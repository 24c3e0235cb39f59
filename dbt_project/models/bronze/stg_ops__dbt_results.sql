{{ config(materialized='view') }}

{#- The dbt results the pipeline records in lake.ops (a view: always current). -#}

with

results as (

    select * from {{ source('ops', 'dbt_results') }}

),

final as (

    select
        run_id,
        invocation_id,
        generated_at,
        unique_id,
        resource_type,
        name,
        model,
        status,
        failures,
        message,
        execution_time_s
    from results

)

select * from final
