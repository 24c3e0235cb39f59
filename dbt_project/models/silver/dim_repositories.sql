{#-
    One row per repository (GitHub repo_id), described by its latest daily snapshot. `repo` is the
    name it is tracked under now (the latest snapshot's); every name it was tracked under is kept.
    as_of_date: the repository's own last loaded date (the latest load_date of its snapshots), capped at
    the date of its latest fetch -- the last day its figures are complete for.
-#}

with

snapshots as (

    select * from {{ ref('github_repos') }}
    where repo_id is not null

),

final as (

    select
        repo_id,
        max_by(repo, (snapshot_date, fetched_at)) as repo,
        max_by(full_name, (snapshot_date, fetched_at)) as full_name,
        array_sort(array_agg(distinct repo)) as tracked_names,
        max_by(default_branch, (snapshot_date, fetched_at)) as default_branch,
        max_by(language, (snapshot_date, fetched_at)) as language,
        max_by(license_spdx, (snapshot_date, fetched_at)) as license_spdx,
        max_by(is_archived, (snapshot_date, fetched_at)) as is_archived,
        max_by(is_fork, (snapshot_date, fetched_at)) as is_fork,
        max_by(created_at, (snapshot_date, fetched_at)) as created_at,
        min(snapshot_date) as first_snapshot_date,
        max(snapshot_date) as last_snapshot_date,
        max(load_date) as last_load_date,
        max(fetched_at) as last_fetched_at,
        least(max(load_date), {{ utc_date('max(fetched_at)') }}) as as_of_date
    from snapshots
    group by repo_id

)

select * from final
