{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key=['repo_id', 'number', 'created_on'],
        delete_when='deleted_at is not null',
        properties={'partitioning': "ARRAY['year(created_on)']", 'sorted_by': "ARRAY['created_on']"},
    )
}}

{#-
    Issues and pull requests (GitHub numbers both in one sequence), one per repository (repo_id) and
    number, with their first response (CHAOSS Time to First Response): the earliest of
      * a comment, a review (submitted, not pending) or a review comment by someone who is neither the
        item's author nor a bot (people compared by GitHub user id, else login);
      * the merge of a pull request whose author cannot merge it (author_association not OWNER, MEMBER
        or COLLABORATOR): someone else merged it;
      * a close by another person, when the record says who closed it (closed_by).
    Deleted items (tombstones) are left out.

    Incremental: items with a new version, and items with a new or deleted response, are rebuilt. An
    item already held whose responses only grew keeps the earlier of its stored first response and the
    new ones (responses never change author or time); an item new to the table, or one that lost a
    response, has it recomputed from all of its responses. The creation days of the items rebuilt are
    known before the build: the stored rows are read, and merged, by those days only (merge_scope).
-#}

{%- if is_incremental() %}
{%- set since = watermark('transformed_at') %}
    {#- responses are read from the creation of the oldest item whose first response is recomputed:
        the oldest item new to the table, or every response when one was deleted (rare) -#}
    {%- set lost_responses = query_dates(
        "select date '1970-01-01' from " ~ ref('github_issue_comments') ~ " where transformed_at > " ~ since
        ~ " and deleted_at is not null union all select date '1970-01-01' from "
        ~ ref('github_pull_review_comments') ~ " where transformed_at > " ~ since ~ " and deleted_at is not null"
    ) %}
    {%- set recompute_from = query_dates(
        "select min(" ~ utc_date('issues.created_at') ~ ") from " ~ ref('github_issues') ~ " as issues
        inner join " ~ ref('dim_repository_names') ~ " as names on issues.repo = names.repo
        where issues.transformed_at > " ~ since ~ " and not exists (
            select 1 from " ~ this ~ " as stored
            where stored.repo_id = names.repo_id and stored.number = issues.number
                and stored.created_on = " ~ utc_date('issues.created_at') ~ ")"
    ) %}
{%- set recompute_from = lost_responses or recompute_from %}
    {#- the creation days of the items rebuilt: those with a new version, and those with a new or
        deleted response (their day from the stored row; an item not stored yet comes with its version) -#}
    {%- set responded = (
        "select repo, issue_number as number from " ~ ref('github_issue_comments')
        ~ " where transformed_at > " ~ since
        ~ " union select repo, pull_number from " ~ ref('github_pull_reviews') ~ " where transformed_at > " ~ since
        ~ " union select repo, pull_number from " ~ ref('github_pull_review_comments')
        ~ " where transformed_at > " ~ since
    ) %}
    {%- set rebuilt_days = query_dates(
        "select " ~ utc_date('created_at') ~ " from " ~ ref('github_issues') ~ " where transformed_at > " ~ since
        ~ " union select stored.created_on from " ~ this ~ " as stored
        inner join " ~ ref('dim_repository_names') ~ " as names on stored.repo_id = names.repo_id
        inner join (" ~ responded ~ ") as responded
            on responded.repo = names.repo and responded.number = stored.number"
    ) %}
{%- endif %}

with

names as (

    select * from {{ ref('dim_repository_names') }}

),

issue_versions as (

    select
        names.repo_id,
        issues.*
    from {{ ref('github_issues') }} as issues
    inner join names
        on issues.repo = names.repo
    {%- if is_incremental() %}
    where issues.transformed_at > {{ since }}
    {%- endif %}

),

comments as (

    select
        names.repo_id,
        comments.issue_number as number,
        comments.user_id,
        comments.user_login,
        comments.user_type,
        comments.created_at as responded_at,
        comments.created_on as responded_on,
        'comment' as kind,
        comments.deleted_at,
        comments.transformed_at
    from {{ ref('github_issue_comments') }} as comments
    inner join names
        on comments.repo = names.repo

),

reviews as (

    select
        names.repo_id,
        reviews.pull_number as number,
        reviews.user_id,
        reviews.user_login,
        reviews.user_type,
        reviews.submitted_at as responded_at,
        {{ utc_date('reviews.submitted_at') }} as responded_on,
        'review' as kind,
        cast(null as timestamp(6) with time zone) as deleted_at,
        reviews.transformed_at
    from {{ ref('github_pull_reviews') }} as reviews
    inner join names
        on reviews.repo = names.repo
    where reviews.state <> 'PENDING' and reviews.submitted_at is not null

),

review_comments as (

    select
        names.repo_id,
        review_comments.pull_number as number,
        review_comments.user_id,
        review_comments.user_login,
        review_comments.user_type,
        review_comments.created_at as responded_at,
        review_comments.created_on as responded_on,
        'review_comment' as kind,
        review_comments.deleted_at,
        review_comments.transformed_at
    from {{ ref('github_pull_review_comments') }} as review_comments
    inner join names
        on review_comments.repo = names.repo

),

all_responses as (

    select * from comments
    union all
    select * from reviews
    union all
    select * from review_comments

),

latest_versions as (

    -- one version per item when two tracked names of a renamed repository both hold it
    select *
    from (
        select
            *,
            row_number() over (
                partition by repo_id, number order by fetched_at desc, repo asc
            ) as name_rank
        from issue_versions
    ) as ranked
    where name_rank = 1

),

changed_items as (

    select
        repo_id,
        number,
        issue_id,
        is_pull_request,
        title,
        state,
        state_reason,
        is_draft,
        user_id as author_user_id,
        user_login as author_login,
        {{ identity_key('user_id', 'user_login', 'null', 'null') }} as author_identity_key,
        {{ is_bot('user_login', 'user_type') }} as is_bot_author,
        author_association,
        created_at,
        {{ utc_date('created_at') }} as created_on,
        updated_at,
        case when state = 'closed' then closed_at end as closed_at,
        case when state = 'closed' then {{ utc_date('closed_at') }} end as closed_on,
        merged_at,
        {{ utc_date('merged_at') }} as merged_on,
        merged_at is not null as is_merged,
        closed_by_id,
        closed_by_login,
        comment_count,
        deleted_at,
        load_date,
        fetched_at
    from latest_versions

),

{% if is_incremental() %}
response_changes as (

    select
        repo_id,
        number,
        bool_or(deleted_at is not null) as lost_a_response
    from all_responses
    where transformed_at > {{ since }}
    group by repo_id, number

),

stored as (

    -- the stored rows of the items to rebuild, read once (items with a new version or a new response)
    select this_table.*
    from {{ this }} as this_table
    where {{ in_periods('this_table.created_on', rebuilt_days) }} and (exists (
        select 1 as found
        from changed_items
        where changed_items.repo_id = this_table.repo_id and changed_items.number = this_table.number
    )
    or exists (
        select 1 as found
        from response_changes
        where response_changes.repo_id = this_table.repo_id and response_changes.number = this_table.number
    ))
    {{ merge_scope(in_periods('dbt_internal_dest.created_on', rebuilt_days)) }}

),

versions as (

    -- the new version of an item, else its stored one (an item whose only news is a response)
    select
        *,
        cast(null as timestamp(6) with time zone) as stored_first_response_at,
        1 as version_rank
    from changed_items

    union all

    select
        repo_id,
        number,
        issue_id,
        is_pull_request,
        title,
        state,
        state_reason,
        is_draft,
        author_user_id,
        author_login,
        author_identity_key,
        is_bot_author,
        author_association,
        created_at,
        created_on,
        updated_at,
        closed_at,
        closed_on,
        merged_at,
        merged_on,
        is_merged,
        closed_by_id,
        closed_by_login,
        comment_count,
        deleted_at,
        load_date,
        fetched_at,
        first_response_at as stored_first_response_at,
        2 as version_rank
    from stored

),

items as (

    select
        ranked.*,
        -- new to the table, or it lost a response: its first response is recomputed from all
        not ranked.is_stored or coalesce(response_changes.lost_a_response, false) as recompute
    from (
        select
            *,
            max(stored_first_response_at) over (partition by repo_id, number) as stored_first_response,
            bool_or(version_rank = 2) over (partition by repo_id, number) as is_stored,
            row_number() over (partition by repo_id, number order by version_rank) as pick
        from versions
    ) as ranked
    left join response_changes
        on
            ranked.repo_id = response_changes.repo_id
            and ranked.number = response_changes.number
    where ranked.pick = 1

),

responses as (

    -- new responses of any item; every response of the items recomputed
    select * from all_responses
    where transformed_at > {{ since }}

    {%- if recompute_from %}

    union

    select * from all_responses
    where responded_on >= date '{{ recompute_from[0] }}'
    {%- endif %}

),

{% else %}
items as (

    select
        *,
        cast(null as timestamp(6) with time zone) as stored_first_response,
        true as recompute
    from changed_items

),

responses as (

    select * from all_responses

),

{% endif %}
candidates as (

    select
        items.repo_id,
        items.number,
        responses.responded_at,
        responses.kind
    from items
    inner join responses
        on
            items.repo_id = responses.repo_id
            and items.number = responses.number
    where
        responses.deleted_at is null
        -- a response cannot come before the item (a clock off at the source)
        and responses.responded_at >= items.created_at
        and not {{ is_bot('responses.user_login', 'responses.user_type') }}
        and (
            case
                when items.author_user_id is not null and responses.user_id is not null
                    then items.author_user_id <> responses.user_id
                else lower(items.author_login) is distinct from lower(responses.user_login)
            end
        )
        -- an item not recomputed needs only its new responses (the stored first response covers the rest)
        and (items.recompute or {{ "responses.transformed_at > " ~ since if is_incremental() else "true" }})

),

first_responses as (

    select
        repo_id,
        number,
        min(responded_at) as first_response_at
    from candidates
    group by repo_id, number

),

final as (

    select
        items.repo_id,
        items.number,
        items.issue_id,
        items.is_pull_request,
        items.title,
        items.state,
        items.state_reason,
        items.is_draft,
        items.author_user_id,
        items.author_login,
        items.author_identity_key,
        items.is_bot_author,
        items.author_association,
        items.created_at,
        items.created_on,
        items.updated_at,
        items.closed_at,
        items.closed_on,
        items.merged_at,
        items.merged_on,
        items.is_merged,
        items.closed_by_id,
        items.closed_by_login,
        -- the earliest of its responses and the item's own: merged or closed by someone else, or the
        -- stored first response of an item not recomputed
        array_min(filter(
            array[
                first_responses.first_response_at,
                case
                    when
                        items.merged_at is not null
                        and coalesce(items.author_association, 'NONE') not in ('OWNER', 'MEMBER', 'COLLABORATOR')
                        then items.merged_at
                end,
                case
                    when
                        items.closed_at is not null
                        and (items.closed_by_id is not null or items.closed_by_login is not null)
                        and coalesce(
                            items.closed_by_id <> items.author_user_id,
                            lower(items.closed_by_login) <> lower(items.author_login),
                            false
                        )
                        and not {{ is_bot('items.closed_by_login') }}
                        then items.closed_at
                end,
                case when not items.recompute then items.stored_first_response end
            ],
            responded_at -> responded_at is not null
        )) as first_response_at,
        items.comment_count,
        items.deleted_at,
        items.load_date,
        items.fetched_at,
        {{ run_stamp() }} as transformed_at
    from items
    left join first_responses
        on
            items.repo_id = first_responses.repo_id
            and items.number = first_responses.number
    {%- if not is_incremental() %}
    -- deleted items are left out (an incremental run passes them on: the merge deletes the stored row)
    where items.deleted_at is null
    {%- endif %}

)

select * from final
