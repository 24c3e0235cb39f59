{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['package', 'month'],
    )
}}

{#- defined in macros/download_shares.sql (shared with os_share_monthly) -#}
{{ download_shares('python_minor', 'python_minor') }}
