"""Ingest: GitHub REST, pypistats and PyPI JSON into Postgres ``staging`` (see docs/ingest.md).

Entry points (called by the Airflow DAGs and ``osspulse ingest``):

* :func:`osspulse.ingest.github.ingest_repo` / :func:`osspulse.ingest.github.ingest_github`
* :func:`osspulse.ingest.pypi.ingest_package` / :func:`osspulse.ingest.pypi.ingest_pypi`
"""
