{#-
    Every repository name the tracked set has used (rows stay keyed by the tracked spelling owner/name)
    with the GitHub repo_id of its latest snapshot: a repository renamed in tracked.yml keeps one id,
    so its history stays together.
-#}

with

snapshots as (

    select * from {{ ref('github_repos') }}

),

final as (

    select
        repo,
        max_by(repo_id, snapshot_date) as repo_id
    from snapshots
    where repo_id is not null
    group by repo

)

select * from final
