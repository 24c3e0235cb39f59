{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key=['package', 'metric', 'category', 'download_date'],
        properties={'partitioning': "ARRAY['month(download_date)']"},
    )
}}

{#- Downloads by package, day and category for each pypistats breakdown (overall / python_minor / system). -#}

with

downloads as (

    select * from {{ ref('stg_pypi__downloads') }}
    {%- if is_incremental() %}
    where load_date > {{ watermark_cutoff() }}
    {%- endif %}

),

final as (

    select
        package,
        metric,
        -- pypistats' `null` bucket (not reported by the installer) is named `unknown` from here on
        case when lower(category) in ('null', 'none', '') then 'unknown' else category end as category,
        download_date,
        downloads,
        load_date
    from downloads

)

select * from final
