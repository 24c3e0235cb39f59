{{ config(materialized='view') }}

{#-
    The data tests and unit tests of every transform_dbt run (lake.ops.dbt_results, a view: always
    current). invocation_id is the Airflow DAG run, so one run's tests group together.
-#}

with

results as (

    select * from {{ ref('stg_ops__dbt_results') }}

),

final as (

    select
        run_id as invocation_id,
        generated_at,
        unique_id,
        name as test_name,
        model,
        status,
        failures,
        message,
        execution_time_s
    from results
    where resource_type in ('test', 'unit_test')

)

select * from final
