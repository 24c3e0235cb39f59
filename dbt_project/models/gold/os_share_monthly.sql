{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key=['package', 'month', 'os'],
    )
}}

{#- defined in macros/download_shares.sql (shared with python_version_adoption_monthly) -#}
{{ download_shares('system', 'os') }}
