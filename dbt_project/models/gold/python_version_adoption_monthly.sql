{#-
    Python version adoption per package and UTC month: pypistats' python_minor breakdown (Python 3.x;
    `unknown`: the installer did not say). Definitions: python_version_adoption_monthly.yml.
-#}

with

downloads as (

    select * from {{ ref('fct_package_downloads_monthly') }}
    where metric = 'python_minor'

),

totals as (

    select
        *,
        sum(downloads) over (partition by package, month) as all_downloads,
        sum(case when category <> 'unknown' then downloads else 0 end)
            over (partition by package, month) as known_downloads
    from downloads

),

final as (

    select
        package,
        month,
        category as python_minor,
        downloads,
        days_reported,
        case when category <> 'unknown' then {{ safe_ratio('downloads', 'known_downloads') }} end
            as share_of_known,
        {{ safe_ratio('downloads', 'all_downloads') }} as share_of_all
    from totals

)

select * from final
