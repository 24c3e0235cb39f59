"""Idempotent bootstrap of the stores: databases and roles, the Iceberg catalog tables, the bucket."""

from __future__ import annotations

import logging

import psycopg
from psycopg import sql

from osspulse.settings import Settings

log = logging.getLogger(__name__)


def postgres_databases(s: Settings) -> None:
    """Databases for staging, the Iceberg JDBC catalog and Airflow; the read-only role for analysts."""
    with psycopg.connect(s.pg_dsn("postgres"), autocommit=True) as conn:
        existing = {row[0] for row in conn.execute("select datname from pg_database")}
        for db in (s.pg_staging_db, s.pg_catalog_db, s.pg_airflow_db):
            if db not in existing:
                log.info("creating database %s", db)
                conn.execute(sql.SQL("create database {}").format(sql.Identifier(db)))
        reader = sql.Identifier(s.pg_reader_user)
        password = sql.Literal(s.pg_reader_password.get_secret_value())
        has_reader = conn.execute("select 1 from pg_roles where rolname = %s", (s.pg_reader_user,)).fetchone()
        verb = "alter" if has_reader else "create"
        conn.execute(sql.SQL(verb + " role {} with login password {}").format(reader, password))
    with psycopg.connect(s.pg_dsn(s.pg_staging_db), autocommit=True) as conn:
        conn.execute("create schema if not exists staging")
        for stmt in (
            "grant connect on database {db} to {r}",
            "grant usage on schema staging to {r}",
            "grant select on all tables in schema staging to {r}",
            "alter default privileges in schema staging grant select on tables to {r}",
        ):
            conn.execute(sql.SQL(stmt).format(r=reader, db=sql.Identifier(s.pg_staging_db)))


def iceberg_catalog(s: Settings) -> None:
    """Create the JDBC catalog tables (V1 schema) by opening the catalog once with PyIceberg."""
    from osspulse.lake.catalog import load_catalog

    load_catalog(s)


def ops_tables(s: Settings) -> None:
    """``lake.ops`` and its tables (the load audit, dbt results, DAG runs), so dbt's gold views over them
    and the Data health page work before the first pipeline run (needs the catalog and the bucket)."""
    from osspulse.lake import ops
    from osspulse.lake.catalog import load_catalog

    ops.ensure_tables(load_catalog(s))


def s3_bucket(s: Settings) -> None:
    from osspulse.lake.storage import s3_client

    client = s3_client(s)
    names = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    if s.s3_bucket not in names:
        log.info("creating bucket %s", s.s3_bucket)
        client.create_bucket(Bucket=s.s3_bucket)
