{{ config(materialized='view') }}

{#- lake.ops.dbt_results as it is: every node of each recorded dbt build (empty until transform_dbt has recorded a run) -#}

with

results as (

    {{ ops_table('dbt_results') }}

),

final as (

    select * from results

)

select * from final
