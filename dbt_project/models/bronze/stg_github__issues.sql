{#- created_at never changes: in the merge key it lets Trino prune the target's partitions -#}
{{
    config(
        unique_key=['repo', 'number', 'created_at'],
        properties={'partitioning': "ARRAY['month(created_at)']"},
    )
}}

{#-
    Besides the latest version, every issue keeps `closed_dates_seen`: the UTC dates of every closed_at
    any of its versions carried. A reopened issue no longer counts as closed, so an incremental gold
    build must recompute the period it used to count in; this column tells it which one. The set is the
    same whether built in one full refresh (all raw versions at once) or merged day by day.
-#}

with

raw_issues as (

    select * from {{ source('raw', 'github_issues') }}
    {%- if is_incremental() %}
    where load_date > {{ watermark_cutoff() }}
    {%- endif %}

),

ranked as (

    select
        *,
        row_number() over (
            partition by repo, number
            order by fetched_at desc, load_date desc
        ) as version_rank
    from raw_issues

),

closings as (

    select
        repo,
        number,
        min({{ utc('created_at') }}) as created_at,
        array_agg(distinct {{ utc_date('closed_at') }}) filter (where closed_at is not null) as closed_dates
    from raw_issues
    group by repo, number

),

{% if is_incremental() %}
stored_closings as (

    select
        stored.repo,
        stored.number,
        stored.closed_dates_seen
    from {{ this }} as stored
    inner join closings
        on
            stored.repo = closings.repo
            and stored.number = closings.number
            -- created_at is the partition column: the join reads only the partitions of the batch
            and stored.created_at = closings.created_at

),
{% endif %}

final as (

    select
        ranked.repo,
        ranked.number,
        ranked.issue_id,
        ranked.title,
        lower(ranked.state) as state,
        ranked.state_reason,
        ranked.user_login,
        ranked.user_type,
        ranked.author_association,
        coalesce(ranked.is_pull_request, false) as is_pull_request,
        coalesce(cast(json_extract_scalar(ranked.payload, '$.draft') as boolean), false) as is_draft,
        ranked.comments as comment_count,
        {{ utc('ranked.created_at') }} as created_at,
        {{ utc('ranked.updated_at') }} as updated_at,
        {{ utc('ranked.closed_at') }} as closed_at,
        {{ utc('ranked.merged_at') }} as merged_at,
        {%- if is_incremental() %}
        array_sort(array_distinct(concat(
            coalesce(stored_closings.closed_dates_seen, cast(array[] as array(date))),
            coalesce(closings.closed_dates, cast(array[] as array(date)))
        ))) as closed_dates_seen,
        {%- else %}
        array_sort(coalesce(closings.closed_dates, cast(array[] as array(date)))) as closed_dates_seen,
        {%- endif %}
        ranked.load_date,
        {{ utc('ranked.fetched_at') }} as fetched_at
    from ranked
    inner join closings
        on
            ranked.repo = closings.repo
            and ranked.number = closings.number
    {%- if is_incremental() %}
    -- stored_closings is read by the incremental branch of the select above
    left join stored_closings  -- noqa: ST11
        on
            ranked.repo = stored_closings.repo
            and ranked.number = stored_closings.number
    {%- endif %}
    where ranked.version_rank = 1

)

select * from final
