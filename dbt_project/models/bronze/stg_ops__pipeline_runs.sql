{{ config(materialized='view') }}

{#- The latest DAG runs the pipeline records in lake.ops (a view: always current). -#}

with

runs as (

    select * from {{ source('ops', 'pipeline_runs') }}

),

final as (

    select
        dag_id,
        run_id,
        run_type,
        state,
        start_date,
        end_date,
        duration_s,
        recorded_at
    from runs

)

select * from final
