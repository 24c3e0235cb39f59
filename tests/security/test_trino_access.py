"""Least privilege in Trino (file-based rules, osspulse/stack/trino/rules.json): each role is refused
what it may not do. etl writes raw/bronze/silver/gold; analyst reads silver, gold and staging;
dashboard reads gold only."""

from __future__ import annotations

import uuid

import pytest
from trino.exceptions import TrinoUserError

from osspulse.lake.trino import trino_connection

pytestmark = pytest.mark.integration


def run(s, user: str, sql: str, catalog: str | None = None) -> list:
    with trino_connection(s, user=user, catalog=catalog) as conn:
        cur = conn.cursor()
        cur.execute(sql)
        return cur.fetchall()


@pytest.fixture(scope="module")
def layers(stack):
    """A table in each lake schema (created by etl), dropped afterwards."""
    s = stack
    name = f"acl_{uuid.uuid4().hex[:8]}"
    tables = {}
    for schema in ("raw", "bronze", "silver", "gold"):
        run(s, s.trino_etl_user, f"create schema if not exists {s.catalog_name}.{schema}")
        table = f"{s.catalog_name}.{schema}.{name}"
        run(s, s.trino_etl_user, f"create table {table} as select 1 as x")
        tables[schema] = table
    yield s, tables
    for table in tables.values():
        run(s, s.trino_etl_user, f"drop table if exists {table}")


def refused(s, user: str, sql: str, catalog: str | None = None) -> str:
    with pytest.raises(TrinoUserError) as err:
        run(s, user, sql, catalog)
    assert "Access Denied" in str(err.value), err.value
    return str(err.value)


def test_etl_writes_every_layer(layers):
    s, tables = layers
    for table in tables.values():
        run(s, s.trino_etl_user, f"insert into {table} values (2)")
        assert run(s, s.trino_etl_user, f"select count(*) from {table}") == [[2]]


def test_analyst_reads_silver_and_gold_only_and_writes_nothing(layers):
    s, tables = layers
    analyst = s.trino_analyst_user
    assert run(s, analyst, f"select count(*) from {tables['gold']}")[0][0] >= 1
    assert run(s, analyst, f"select count(*) from {tables['silver']}")[0][0] >= 1
    refused(s, analyst, f"select * from {tables['raw']}")
    refused(s, analyst, f"select * from {tables['bronze']}")
    refused(s, analyst, f"insert into {tables['gold']} values (3)")
    refused(s, analyst, f"delete from {tables['silver']}")
    refused(s, analyst, f"drop table {tables['gold']}")
    refused(s, analyst, f"create table {s.catalog_name}.gold.analyst_made as select 1 as x")
    refused(s, analyst, f"create schema {s.catalog_name}.analyst_schema")


def test_analyst_reads_staging(layers):
    s, _ = layers
    rows = run(s, s.trino_analyst_user, "select count(*) from information_schema.schemata", catalog="staging")
    assert rows[0][0] >= 1


def test_dashboard_reads_gold_only(layers):
    s, tables = layers
    dashboard = s.trino_dashboard_user
    assert run(s, dashboard, f"select count(*) from {tables['gold']}")[0][0] >= 1
    for layer in ("raw", "bronze", "silver"):
        refused(s, dashboard, f"select * from {tables[layer]}")
    refused(s, dashboard, "select 1 from staging.information_schema.schemata")
    refused(s, dashboard, f"insert into {tables['gold']} values (4)")


def test_unknown_users_get_nothing(layers):
    s, tables = layers
    refused(s, "mallory", f"select * from {tables['gold']}")
