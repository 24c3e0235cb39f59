{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key='package',
    )
}}

{%- set cutoff = watermark_cutoff() if is_incremental() else none %}

{#-
    One row per PyPI package seen in any PyPI entity; attributes come from its latest daily `info`
    snapshot. Incremental like dim_repositories (recombined with the stored row).
-#}

with

snapshots as (

    select * from {{ ref('stg_pypi__projects') }}
    {%- if is_incremental() %}
    where load_date > {{ cutoff }}
    {%- endif %}

),

downloads as (

    select
        package,
        download_date,
        load_date
    from {{ ref('stg_pypi__downloads') }}
    {%- if is_incremental() %}
    where load_date > {{ cutoff }}
    {%- endif %}

),

releases as (

    select
        package,
        load_date
    from {{ ref('stg_pypi__releases') }}
    {%- if is_incremental() %}
    where load_date > {{ cutoff }}
    {%- endif %}

),

candidates as (

    select
        package,
        latest_version,
        requires_python,
        summary,
        license,
        snapshot_date as first_snapshot_date,
        snapshot_date as last_snapshot_date,
        date_diff('day', date '1970-01-01', snapshot_date) * 2 + 1 as snapshot_rank,
        null as first_download_date,
        null as last_download_date,
        load_date
    from snapshots

    union all

    select
        package,
        null as latest_version,
        null as requires_python,
        null as summary,
        null as license,
        null as first_snapshot_date,
        null as last_snapshot_date,
        null as snapshot_rank,
        min(download_date) as first_download_date,
        max(download_date) as last_download_date,
        max(load_date) as load_date
    from downloads
    group by package

    union all

    select
        package,
        null as latest_version,
        null as requires_python,
        null as summary,
        null as license,
        null as first_snapshot_date,
        null as last_snapshot_date,
        null as snapshot_rank,
        null as first_download_date,
        null as last_download_date,
        max(load_date) as load_date
    from releases
    group by package

    {%- if is_incremental() %}

    union all

    select
        package,
        latest_version,
        requires_python,
        summary,
        license,
        first_snapshot_date,
        last_snapshot_date,
        date_diff('day', date '1970-01-01', last_snapshot_date) * 2 as snapshot_rank,
        first_download_date,
        last_download_date,
        load_date
    from {{ this }}
    where
        package in (
            select snapshots.package from snapshots
            union distinct
            select downloads.package from downloads
            union distinct
            select releases.package from releases
        )
    {%- endif %}

),

final as (

    select
        package,
        max_by(latest_version, snapshot_rank) as latest_version,
        max_by(requires_python, snapshot_rank) as requires_python,
        max_by(summary, snapshot_rank) as summary,
        max_by(license, snapshot_rank) as license,
        min(first_snapshot_date) as first_snapshot_date,
        max(last_snapshot_date) as last_snapshot_date,
        min(first_download_date) as first_download_date,
        max(last_download_date) as last_download_date,
        max(load_date) as load_date
    from candidates
    group by package

)

select * from final
