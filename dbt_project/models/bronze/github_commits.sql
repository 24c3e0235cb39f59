{#- The author date never changes for a sha: its UTC day, in the merge key, lets Trino prune the
    target. Partitioned by year -- a batch that brings decades of history (a mature repository tracked
    later) touches one partition per year, far below Iceberg's 100 open writers per statement -- and
    sorted by day in small row groups, so reading a few days of a year skips the rest. -#}
{{
    config(
        unique_key=['repo', 'sha', 'authored_on'],
        properties={'partitioning': "ARRAY['year(authored_on)']", 'sorted_by': "ARRAY['authored_on']"},
    )
}}

with

raw_commits as (

    select * from {{ source('raw', 'github_commits') }}
    {%- if is_incremental() %}
    where loaded_at > {{ watermark('loaded_at') }}
    {%- endif %}

),

ranked as (

    select
        *,
        row_number() over (
            partition by repo, sha
            order by fetched_at desc, load_date desc, loaded_at desc
        ) as version_rank
    from raw_commits

),

final as (

    select
        repo,
        sha,
        -- the GitHub account GitHub linked to the author e-mail (null when it could not)
        cast(json_extract_scalar(payload, '$.author.id') as bigint) as author_id,
        author_login,
        json_extract_scalar(payload, '$.author.type') as author_type,
        author_name,
        author_email,
        {{ utc('author_date') }} as author_date,
        {{ utc_date('author_date') }} as authored_on,
        committer_login,
        {{ utc('committer_date') }} as committer_date,
        coalesce(json_array_length(json_extract(payload, '$.parents')), 1) as parent_count,
        split_part(message, chr(10), 1) as message_subject,
        {{ utc('deleted_at') }} as deleted_at,
        load_date,
        {{ utc('fetched_at') }} as fetched_at,
        loaded_at,
        {{ run_stamp() }} as transformed_at
    from ranked
    where version_rank = 1

)

select * from final
