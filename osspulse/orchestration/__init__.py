"""What the Airflow DAGs call: assets, the load date of a run, and task bodies.

DAG files in ``dags/`` only wire these together; importing this package is cheap (no I/O).
"""
