{#- Helpers of fct_issues_and_pull_requests' incremental runs (they query the warehouse). -#}

{#- [repo, number] of the items with a new comment but no new version since `cutoff` -#}
{% macro items_with_only_new_comments(cutoff) -%}
    {%- set sql -%}
        select distinct
            comments.repo,
            comments.issue_number
        from {{ ref('fct_issue_comments') }} as comments
        where
            comments.load_date > {{ cutoff }}
            and not exists (
                select 1
                from {{ ref('stg_github__issues') }} as issues
                where
                    issues.load_date > {{ cutoff }}
                    and issues.repo = comments.repo
                    and issues.number = comments.issue_number
            )
    {%- endset -%}
    {{ return(query_rows(sql)) }}
{%- endmacro %}

{#- the earliest UTC creation day of the items with a new version that the table does not hold yet -#}
{% macro first_day_of_new_items(cutoff) -%}
    {%- set sql -%}
        select min({{ utc_date('issues.created_at') }})
        from {{ ref('stg_github__issues') }} as issues
        where
            issues.load_date > {{ cutoff }}
            and not exists (
                select 1
                from {{ this }} as stored
                where
                    stored.repo = issues.repo
                    and stored.number = issues.number
                    and stored.created_on = {{ utc_date('issues.created_at') }}
            )
    {%- endset -%}
    {{ return(query_dates(sql)) }}
{%- endmacro %}
