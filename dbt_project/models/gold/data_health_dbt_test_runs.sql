{{ config(materialized='view') }}

{#- Per recorded transform_dbt run: how many tests passed, failed (or errored), warned, were skipped. -#}

with

results as (

    select * from {{ ref('ops_dbt_results') }}

),

final as (

    select
        invocation_id,
        max(generated_at) as run_at,
        count(*) as tests,
        count_if(status = 'pass') as passed,
        count_if(status in ('fail', 'error')) as failed,
        count_if(status = 'warn') as warned,
        count_if(status = 'skipped') as skipped
    from results
    group by invocation_id

)

select * from final
