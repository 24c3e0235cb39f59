{#-
    The raw entities of osspulse/entities.py (tests/transform/test_dbt_project.py holds this list, the
    sources in models/bronze/_sources.yml and the bronze models equal to it): name and source system.
    A bronze model has the entity's name.
-#}
{% macro raw_entities() -%}
    {{ return([
        {'name': 'github_repos', 'system': 'github'},
        {'name': 'github_commits', 'system': 'github'},
        {'name': 'github_issues', 'system': 'github'},
        {'name': 'github_issue_comments', 'system': 'github'},
        {'name': 'github_releases', 'system': 'github'},
        {'name': 'github_pull_reviews', 'system': 'github'},
        {'name': 'github_pull_review_comments', 'system': 'github'},
        {'name': 'pypi_downloads', 'system': 'pypistats'},
        {'name': 'pypi_releases', 'system': 'pypi'},
        {'name': 'pypi_projects', 'system': 'pypi'},
    ]) }}
{%- endmacro %}
