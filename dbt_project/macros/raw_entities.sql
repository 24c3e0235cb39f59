{#-
    The raw entities (osspulse/entities.py) with their source system and bronze model, for the models
    that report on every entity at once (data health).
-#}
{% macro raw_entities() -%}
    {{ return([
        {'name': 'github_repos', 'system': 'github', 'bronze': 'stg_github__repos'},
        {'name': 'github_commits', 'system': 'github', 'bronze': 'stg_github__commits'},
        {'name': 'github_issues', 'system': 'github', 'bronze': 'stg_github__issues'},
        {'name': 'github_issue_comments', 'system': 'github', 'bronze': 'stg_github__issue_comments'},
        {'name': 'github_releases', 'system': 'github', 'bronze': 'stg_github__releases'},
        {'name': 'pypi_downloads', 'system': 'pypistats', 'bronze': 'stg_pypi__downloads'},
        {'name': 'pypi_releases', 'system': 'pypi', 'bronze': 'stg_pypi__releases'},
        {'name': 'pypi_projects', 'system': 'pypi', 'bronze': 'stg_pypi__projects'},
    ]) }}
{%- endmacro %}

{#- the Iceberg `$partitions` metadata table of a relation (statistics only; reading it scans no data) -#}
{% macro partitions_table(relation) -%}
    {{ relation.database }}.{{ relation.schema }}."{{ relation.identifier }}$partitions"
{%- endmacro %}
