{{ config(materialized='view') }}

{#-
    The recorded runs of every OSS Pulse DAG (lake.ops.pipeline_runs), each with its DAG's latest state
    and last successful end, so a page shows the last run of every DAG by filtering is_latest_run.
    Definitions: data_health_dag_runs.yml.
-#}

with

runs as (

    select * from {{ ref('ops_pipeline_runs') }}

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
        row_number() over (partition by dag_id order by start_date desc, run_id desc) = 1 as is_latest_run,
        max(case when state = 'success' then end_date end) over (partition by dag_id) as last_success_end,
        count(*) over (partition by dag_id) as runs_recorded
    from runs

)

select * from final
