{#-
    The daily repository snapshots: stars (stargazers), forks, watchers (the API's watchers_count,
    which GitHub keeps equal to stars), subscribers (people watching notifications: the watchers of
    the web UI) and open issues (GitHub's open_issues_count, which includes open pull requests), with
    the change since the previous snapshot. One row per repository and snapshot date (days without a
    snapshot have no row). Rebuilt every run (small).
-#}

with

snapshots as (

    select * from {{ ref('fct_repo_snapshots') }}

),

final as (

    select
        repo,
        snapshot_date,
        stars,
        forks,
        watchers,
        subscribers,
        open_issues_and_prs as open_issues,
        stars - lag(stars) over (partition by repo order by snapshot_date) as stars_change,
        forks - lag(forks) over (partition by repo order by snapshot_date) as forks_change,
        is_archived,
        load_date as loaded_through
    from snapshots

)

select * from final
