{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['package', 'month'],
    )
}}

{#- defined in macros/download_shares.sql (shared with python_version_adoption_monthly) -#}
{{ download_shares('system', 'os') }}
