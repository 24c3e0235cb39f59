{{ config(materialized='view') }}

{#- lake.ops.pipeline_runs as it is (empty until transform_dbt has recorded the DAG runs) -#}

with

runs as (

    {{ ops_table('pipeline_runs') }}

),

final as (

    select * from runs

)

select * from final
