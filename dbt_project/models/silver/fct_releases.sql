{{ config(materialized='table') }}

with

releases as (

    select * from {{ ref('stg_github__releases') }}

),

final as (

    select
        repo,
        release_id,
        tag_name,
        release_name,
        is_draft,
        is_prerelease,
        author_login,
        created_at,
        published_at,
        {{ utc_date('published_at') }} as published_on,
        load_date
    from releases
    -- a draft is not a release until it is published
    where not is_draft and published_at is not null

)

select * from final
