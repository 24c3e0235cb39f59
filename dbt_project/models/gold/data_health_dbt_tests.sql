{{ config(materialized='view') }}

{#-
    dbt test results recorded by transform_dbt (lake.ops.dbt_results: data tests and unit tests), one
    row per test and run, with the run's place: is_latest_run marks the most recent run.
    Definitions: data_health_dbt_tests.yml.
-#}

with

results as (

    select * from {{ ref('ops_dbt_results') }}
    where resource_type in ('test', 'unit_test')

),

runs as (

    select
        run_id,
        max(generated_at) as run_at
    from results
    group by run_id

),

final as (

    select
        results.run_id,
        runs.run_at,
        runs.run_at = max(runs.run_at) over () as is_latest_run,
        results.generated_at,
        results.unique_id,
        results.resource_type,
        results.model,
        results.name as test_name,
        results.status,
        results.failures,
        results.message,
        results.execution_time_s,
        case results.status when 'fail' then 0 when 'error' then 1 when 'warn' then 2 else 3 end as severity_order
    from results
    inner join runs
        on results.run_id = runs.run_id

)

select * from final
