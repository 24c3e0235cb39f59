{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key=['package', 'month', 'python_minor'],
    )
}}

{#- defined in macros/download_shares.sql (shared with os_share_monthly) -#}
{{ download_shares('python_minor', 'python_minor') }}
