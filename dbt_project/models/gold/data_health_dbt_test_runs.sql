{{ config(materialized='view') }}

{#-
    Per recorded transform_dbt run: how many tests (data and unit tests) passed, failed (or errored),
    warned, were skipped; and how many models failed to build.
-#}

with

results as (

    select * from {{ ref('ops_dbt_results') }}

),

final as (

    select
        run_id,
        max(generated_at) as run_at,
        count_if(resource_type in ('test', 'unit_test')) as tests,
        count_if(resource_type in ('test', 'unit_test') and status = 'pass') as passed,
        count_if(resource_type in ('test', 'unit_test') and status in ('fail', 'error')) as failed,
        count_if(resource_type in ('test', 'unit_test') and status = 'warn') as warned,
        count_if(resource_type in ('test', 'unit_test') and status = 'skipped') as skipped,
        count_if(resource_type = 'model' and status = 'error') as models_failed
    from results
    group by run_id

)

select * from final
