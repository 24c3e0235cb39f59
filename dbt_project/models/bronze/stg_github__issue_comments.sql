{#- created_at never changes: in the merge key it lets Trino prune the target's partitions -#}
{{
    config(
        unique_key=['repo', 'comment_id', 'created_at'],
        properties={'partitioning': "ARRAY['month(created_at)']"},
    )
}}

with

raw_comments as (

    select * from {{ source('raw', 'github_issue_comments') }}
    {%- if is_incremental() %}
    where load_date > {{ watermark_cutoff() }}
    {%- endif %}

),

ranked as (

    select
        *,
        row_number() over (
            partition by repo, comment_id
            order by fetched_at desc, load_date desc
        ) as version_rank
    from raw_comments

),

final as (

    select
        repo,
        comment_id,
        -- the issue (or pull request) number is the tail of issue_url: .../repos/o/r/issues/123
        cast(regexp_extract(issue_url, '/issues/([0-9]+)$', 1) as bigint) as issue_number,
        user_login,
        user_type,
        author_association,
        {{ utc('created_at') }} as created_at,
        {{ utc('updated_at') }} as updated_at,
        load_date,
        {{ utc('fetched_at') }} as fetched_at
    from ranked
    where version_rank = 1

)

select * from final
