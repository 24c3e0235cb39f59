"""Spark loads: staging (Postgres) -> lake.raw (Iceberg), and lakehouse maintenance."""
