{{ config(materialized='view') }}

{#-
    pypistats downloads by package, day and category of each breakdown (metric overall: categories
    without_mirrors / with_mirrors; python_minor: 3.x; system: Linux, Windows, Darwin, other).
    pypistats' `null` bucket (the installer did not say) is named `unknown`. A day pypistats has no row
    for has no row here (it is missing, not zero). A view: a filter on metric reaches bronze's partitions.
-#}

with

downloads as (

    select * from {{ ref('pypi_downloads') }}

),

final as (

    select
        package,
        metric,
        case when lower(category) in ('null', 'none', '') then 'unknown' else category end as category,
        download_date,
        downloads,
        load_date,
        fetched_at,
        transformed_at
    from downloads

)

select * from final
