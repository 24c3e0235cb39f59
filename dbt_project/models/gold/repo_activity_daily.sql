{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['repo', 'day'],
    )
}}

{#- the measures and the incremental strategy are defined once, in macros/repo_activity.sql -#}
{{ repo_activity('day') }}
