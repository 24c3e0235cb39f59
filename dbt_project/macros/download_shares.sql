{#-
    python_version_adoption_monthly / os_share_monthly: per package, UTC month and category of the
    pypistats breakdown `metric` (python_minor | system), the month's downloads and two shares:
      share_of_known = category / all categories except `unknown` (pypistats' null bucket); null for
        the unknown row itself. The adoption figure: who runs which Python / OS among those who say.
      share_of_all = category / all categories including unknown.
    Incremental (merge on package + month + category): months with changed rows are recomputed whole.
-#}
{% macro download_shares(metric, category_column) %}

{%- if is_incremental() %}
    {%- set months = query_dates(
        "select date_trunc('month', download_date) from " ~ ref('fct_package_downloads_daily')
        ~ " where metric = '" ~ metric ~ "' and load_date > " ~ watermark_cutoff('loaded_through')
    ) %}
{%- endif %}

with

scoped as (

    select * from {{ ref('fct_package_downloads_daily') }}
    where
        metric = '{{ metric }}'
        {%- if is_incremental() %}
            and {{ in_periods('download_date', 'month', months) }}
        {%- endif %}

),

monthly as (

    select
        package,
        date_trunc('month', download_date) as month,
        category,
        sum(downloads) as downloads,
        max(load_date) as load_date
    from scoped
    group by package, date_trunc('month', download_date), category

),

totals as (

    select
        *,
        sum(downloads) over (partition by package, month) as all_downloads,
        sum(case when category <> 'unknown' then downloads else 0 end)
            over (partition by package, month) as known_downloads
    from monthly

),

final as (

    select
        package,
        month,
        category as {{ category_column }},
        downloads,
        case
            when category <> 'unknown' then {{ safe_ratio('downloads', 'known_downloads') }}
        end as share_of_known,
        {{ safe_ratio('downloads', 'all_downloads') }} as share_of_all,
        load_date as loaded_through
    from totals

)

select * from final

{% endmacro %}
