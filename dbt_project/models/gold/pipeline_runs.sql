{{ config(materialized='view') }}

{#- The latest runs of every OSS Pulse DAG, as recorded in lake.ops (a view: always current). -#}

with

runs as (

    select * from {{ ref('stg_ops__pipeline_runs') }}

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
