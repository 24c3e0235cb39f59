{#- not partitioned: submitted_at is null until a pending review is submitted, so it cannot key a partition -#}
{{ config(unique_key=['repo', 'review_id']) }}

with

raw_reviews as (

    select * from {{ source('raw', 'github_pull_reviews') }}
    {%- if is_incremental() %}
    where loaded_at > {{ watermark('loaded_at') }}
    {%- endif %}

),

ranked as (

    select
        *,
        row_number() over (
            partition by repo, review_id
            order by fetched_at desc, load_date desc, loaded_at desc
        ) as version_rank
    from raw_reviews

),

final as (

    select
        repo,
        review_id,
        -- the pull request number is the tail of pull_request_url: .../repos/o/r/pulls/123
        cast(regexp_extract(pull_request_url, '/pulls/([0-9]+)$', 1) as bigint) as pull_number,
        user_id,
        user_login,
        user_type,
        author_association,
        upper(state) as state,
        {{ utc('submitted_at') }} as submitted_at,
        load_date,
        {{ utc('fetched_at') }} as fetched_at,
        loaded_at,
        {{ run_stamp() }} as transformed_at
    from ranked
    where version_rank = 1

)

select * from final
