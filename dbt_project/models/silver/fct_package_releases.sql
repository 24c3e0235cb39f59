{#- PyPI versions by first upload, yanked ones included (they were released), deleted ones left out. -#}

with

releases as (

    select * from {{ ref('pypi_releases') }}

),

final as (

    select
        package,
        version,
        first_upload_at,
        {{ utc_date('first_upload_at') }} as uploaded_on,
        is_yanked,
        -- PEP 440 pre-releases and development releases: 1.0a1, 1.0b2, 1.0rc1, 1.0.dev3
        regexp_like(lower(version), '(a|b|c|rc|alpha|beta|pre|preview|dev)[-_.]?[0-9]*$|\.dev[0-9]*')
            as is_prerelease,
        requires_python,
        file_count,
        total_size,
        load_date
    from releases
    where first_upload_at is not null and deleted_at is null

)

select * from final
