{#- partitioned by metric (readers ask for one) and year (any backfill stays far below 100
    partitions), sorted by day in small row groups -#}
{{
    config(
        unique_key=['package', 'metric', 'category', 'download_date'],
        properties={
            'partitioning': "ARRAY['metric', 'year(download_date)']",
            'sorted_by': "ARRAY['download_date']",
        },
    )
}}

with

raw_downloads as (

    select * from {{ source('raw', 'pypi_downloads') }}
    {%- if is_incremental() %}
    where loaded_at > {{ watermark('loaded_at') }}
    {%- endif %}

),

ranked as (

    select
        *,
        row_number() over (
            partition by package, metric, category, download_date
            order by fetched_at desc, load_date desc, loaded_at desc
        ) as version_rank
    from raw_downloads

),

final as (

    select
        package,
        metric,
        -- pypistats names the unattributed bucket `null`; it stays a string here (a key column)
        coalesce(category, 'null') as category,
        download_date,
        downloads,
        load_date,
        {{ utc('fetched_at') }} as fetched_at,
        loaded_at,
        {{ run_stamp() }} as transformed_at
    from ranked
    where version_rank = 1

)

select * from final
