{#-
    GitHub releases, one per repository (repo_id) and tag: published, not drafts, not deleted. A release
    deleted and re-created with the same tag (a tombstone and a new release id) counts once: the latest
    published one.
-#}

with

releases as (

    select * from {{ ref('github_releases') }}

),

names as (

    select * from {{ ref('dim_repository_names') }}

),

published as (

    select
        names.repo_id,
        releases.*,
        row_number() over (
            partition by names.repo_id, releases.tag_name
            order by releases.published_at desc, releases.release_id desc
        ) as tag_rank
    from releases
    inner join names
        on releases.repo = names.repo
    -- a draft is not a release until it is published
    where
        releases.deleted_at is null
        and not releases.is_draft
        and releases.published_at is not null

),

final as (

    select
        repo_id,
        release_id,
        tag_name,
        release_name,
        is_prerelease,
        author_login,
        created_at,
        published_at,
        {{ utc_date('published_at') }} as published_on,
        load_date
    from published
    where tag_rank = 1

)

select * from final
