{{
    config(
        unique_key=['package', 'snapshot_date'],
        properties={'partitioning': "ARRAY['year(snapshot_date)']"},
    )
}}

with

raw_projects as (

    select * from {{ source('raw', 'pypi_projects') }}
    {%- if is_incremental() %}
    where loaded_at > {{ watermark('loaded_at') }}
    {%- endif %}

),

ranked as (

    select
        *,
        row_number() over (
            partition by package, snapshot_date
            order by fetched_at desc, load_date desc, loaded_at desc
        ) as version_rank
    from raw_projects

),

final as (

    select
        package,
        snapshot_date,
        latest_version,
        requires_python,
        summary,
        license,
        json_extract_scalar(payload, '$.info.home_page') as home_page,
        load_date,
        {{ utc('fetched_at') }} as fetched_at,
        loaded_at,
        {{ run_stamp() }} as transformed_at
    from ranked
    where version_rank = 1

)

select * from final
