{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key=['package', 'metric', 'category', 'month'],
        properties={'partitioning': "ARRAY['year(month)']", 'sorted_by': "ARRAY['month']"},
    )
}}

{#-
    Downloads per package, breakdown (metric), category and UTC month: the month's sum over the days
    pypistats reported, and how many days those were (a month with missing days is incomplete, not
    smaller). What the monthly download and share models read.

    Incremental: the months of download rows written since the last run are recomputed whole. A
    download row is never deleted, so a (package, metric, category, month) once present stays present:
    merging is exact.
-#}

{%- set bronze_downloads = ref('pypi_downloads') %}
{%- if is_incremental() %}
    {%- set changed_months = query_dates(
        "select date_trunc('month', download_date) from " ~ bronze_downloads
        ~ " where transformed_at > " ~ watermark('transformed_at')
    ) %}
{%- endif %}

with

downloads as (

    select * from {{ ref('fct_package_downloads_daily') }}
    {%- if is_incremental() %}
    where {{ in_periods('download_date', changed_months, 'month') }}
    {{ merge_scope(in_periods('dbt_internal_dest.month', changed_months, 'month')) }}
    {%- endif %}

),

final as (

    select
        package,
        metric,
        category,
        date_trunc('month', download_date) as month,
        sum(downloads) as downloads,
        count(*) as days_reported,
        min(download_date) as first_download_date,
        max(download_date) as last_download_date,
        max(fetched_at) as last_fetched_at,
        {{ run_stamp() }} as transformed_at
    from downloads
    group by package, metric, category, date_trunc('month', download_date)

)

select * from final
