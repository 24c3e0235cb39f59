{{
    config(
        unique_key=['repo', 'snapshot_date'],
        properties={'partitioning': "ARRAY['year(snapshot_date)']"},
    )
}}

with

raw_repos as (

    select * from {{ source('raw', 'github_repos') }}
    {%- if is_incremental() %}
    where loaded_at > {{ watermark('loaded_at') }}
    {%- endif %}

),

ranked as (

    select
        *,
        row_number() over (
            partition by repo, snapshot_date
            order by fetched_at desc, load_date desc, loaded_at desc
        ) as version_rank
    from raw_repos

),

final as (

    select
        repo,
        snapshot_date,
        repo_id,
        full_name,
        default_branch,
        stargazers_count,
        forks_count,
        watchers_count,
        subscribers_count,
        open_issues_count,
        language,
        license_spdx,
        coalesce(archived, false) as is_archived,
        coalesce(cast(json_extract_scalar(payload, '$.fork') as boolean), false) as is_fork,
        {{ utc('created_at') }} as created_at,
        {{ utc('pushed_at') }} as pushed_at,
        load_date,
        {{ utc('fetched_at') }} as fetched_at,
        loaded_at,
        {{ run_stamp() }} as transformed_at
    from ranked
    where version_rank = 1

)

select * from final
