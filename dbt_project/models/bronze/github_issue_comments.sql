{#- The creation day never changes: in the merge key it lets Trino prune the target (sorted by day) -#}
{{
    config(
        unique_key=['repo', 'comment_id', 'created_on'],
        properties={'partitioning': "ARRAY['year(created_on)']", 'sorted_by': "ARRAY['created_on']"},
    )
}}

with

raw_comments as (

    select * from {{ source('raw', 'github_issue_comments') }}
    {%- if is_incremental() %}
    where loaded_at > {{ watermark('loaded_at') }}
    {%- endif %}

),

ranked as (

    select
        *,
        row_number() over (
            partition by repo, comment_id
            order by fetched_at desc, load_date desc, loaded_at desc
        ) as version_rank
    from raw_comments

),

final as (

    select
        repo,
        comment_id,
        -- the issue (or pull request) number is the tail of issue_url: .../repos/o/r/issues/123
        cast(regexp_extract(issue_url, '/issues/([0-9]+)$', 1) as bigint) as issue_number,
        cast(json_extract_scalar(payload, '$.user.id') as bigint) as user_id,
        user_login,
        user_type,
        author_association,
        {{ utc('created_at') }} as created_at,
        {{ utc_date('created_at') }} as created_on,
        {{ utc('updated_at') }} as updated_at,
        {{ utc('deleted_at') }} as deleted_at,
        load_date,
        {{ utc('fetched_at') }} as fetched_at,
        loaded_at,
        {{ run_stamp() }} as transformed_at
    from ranked
    where version_rank = 1

)

select * from final
