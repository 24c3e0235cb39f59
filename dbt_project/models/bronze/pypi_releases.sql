{{ config(unique_key=['package', 'version']) }}

with

raw_releases as (

    select * from {{ source('raw', 'pypi_releases') }}
    {%- if is_incremental() %}
    where loaded_at > {{ watermark('loaded_at') }}
    {%- endif %}

),

ranked as (

    select
        *,
        row_number() over (
            partition by package, version
            order by fetched_at desc, load_date desc, loaded_at desc
        ) as version_rank
    from raw_releases

),

final as (

    select
        package,
        version,
        {{ utc('first_upload_at') }} as first_upload_at,
        coalesce(yanked, false) as is_yanked,
        requires_python,
        file_count,
        total_size,
        {{ utc('deleted_at') }} as deleted_at,
        load_date,
        {{ utc('fetched_at') }} as fetched_at,
        loaded_at,
        {{ run_stamp() }} as transformed_at
    from ranked
    where version_rank = 1

)

select * from final
