{{ config(unique_key=['repo', 'release_id']) }}

with

raw_releases as (

    select * from {{ source('raw', 'github_releases') }}
    {%- if is_incremental() %}
    where loaded_at > {{ watermark('loaded_at') }}
    {%- endif %}

),

ranked as (

    select
        *,
        row_number() over (
            partition by repo, release_id
            order by fetched_at desc, load_date desc, loaded_at desc
        ) as version_rank
    from raw_releases

),

final as (

    select
        repo,
        release_id,
        tag_name,
        name as release_name,
        coalesce(draft, false) as is_draft,
        coalesce(prerelease, false) as is_prerelease,
        author_login,
        {{ utc('created_at') }} as created_at,
        {{ utc('published_at') }} as published_at,
        {{ utc('deleted_at') }} as deleted_at,
        load_date,
        {{ utc('fetched_at') }} as fetched_at,
        loaded_at,
        {{ run_stamp() }} as transformed_at
    from ranked
    where version_rank = 1

)

select * from final
