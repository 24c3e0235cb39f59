{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key=['repo', 'week'],
    )
}}

-- depends_on: {{ ref('dim_repo_contributors') }}
-- depends_on: {{ ref('fct_issues_and_pull_requests') }}
-- depends_on: {{ ref('fct_releases') }}
-- depends_on: {{ ref('fct_author_commit_days') }}

{#- a roll-up of repo_activity_daily, defined in macros/activity_rollup.sql -#}
{{ repo_activity_rollup('week') }}
