{#- The creation day never changes: in the merge key it lets Trino prune the target (partitions by
    year, so a batch of any age range stays far below 100; sorted by day in small row groups) -#}
{{
    config(
        unique_key=['repo', 'number', 'created_on'],
        properties={'partitioning': "ARRAY['year(created_on)']", 'sorted_by': "ARRAY['created_on']"},
    )
}}

with

raw_issues as (

    select * from {{ source('raw', 'github_issues') }}
    {%- if is_incremental() %}
    where loaded_at > {{ watermark('loaded_at') }}
    {%- endif %}

),

ranked as (

    select
        *,
        row_number() over (
            partition by repo, number
            order by fetched_at desc, load_date desc, loaded_at desc
        ) as version_rank
    from raw_issues

),

final as (

    select
        repo,
        number,
        issue_id,
        title,
        lower(state) as state,
        state_reason,
        cast(json_extract_scalar(payload, '$.user.id') as bigint) as user_id,
        user_login,
        user_type,
        author_association,
        coalesce(is_pull_request, false) as is_pull_request,
        coalesce(cast(json_extract_scalar(payload, '$.draft') as boolean), false) as is_draft,
        comments as comment_count,
        {{ utc('created_at') }} as created_at,
        {{ utc_date('created_at') }} as created_on,
        {{ utc('updated_at') }} as updated_at,
        {{ utc('closed_at') }} as closed_at,
        {{ utc('merged_at') }} as merged_at,
        -- who closed it: only the single-issue endpoint says, the list the ingest reads does not
        cast(json_extract_scalar(payload, '$.closed_by.id') as bigint) as closed_by_id,
        json_extract_scalar(payload, '$.closed_by.login') as closed_by_login,
        {{ utc('deleted_at') }} as deleted_at,
        load_date,
        {{ utc('fetched_at') }} as fetched_at,
        loaded_at,
        {{ run_stamp() }} as transformed_at
    from ranked
    where version_rank = 1

)

select * from final
