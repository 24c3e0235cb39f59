"""The dbt project (``dbt_project/``) driven from Python: profile environment, tracked-set seeds, runs.

``osspulse dbt <dbt args>`` runs dbt against the Trino of :class:`~osspulse.settings.Settings`;
:func:`run_dbt` does the same from code (the Airflow DAG, tests, benchmarks).
"""
