"""Authentication and least privilege in Trino: every client logs in with its role's password over TLS
(osspulse/stack/security.py); each role is refused what it may not do (file-based rules,
osspulse/stack/trino/rules.json): etl writes raw/bronze/silver/gold; analyst reads silver, gold and
staging; dashboard reads gold only; nobody sees or kills another user's queries."""

from __future__ import annotations

import time
import uuid

import pytest
import requests
from trino.exceptions import HttpError, TrinoUserError

from osspulse.lake.trino import http_session, trino_connection

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


def test_unknown_users_cannot_log_in(layers):
    s, _ = layers
    assert "Invalid credentials" in login_refused(s, user="mallory", password="any-password")


# --- authentication -----------------------------------------------------------------------------------


def login_refused(s, **kwargs) -> str:
    with pytest.raises(HttpError) as err, trino_connection(s, **kwargs) as conn:
        conn.cursor().execute("select 1")
    assert "401" in str(err.value), err.value
    return str(err.value)


def test_every_role_logs_in_with_its_own_password(stack):
    s = stack
    for user in (s.trino_etl_user, s.trino_analyst_user, s.trino_dashboard_user):
        assert run(s, user, "select current_user") == [[user]]


def test_no_password_a_wrong_one_or_another_roles_is_refused(stack):
    s = stack
    assert "Invalid credentials" in login_refused(s, user=s.trino_etl_user, password="not-the-password")
    assert "Invalid credentials" in login_refused(
        s, user=s.trino_etl_user, password=s.trino_password(s.trino_analyst_user)
    )
    login_refused(s, user=s.trino_dashboard_user, password="")
    session = requests.Session()
    session.trust_env, session.verify = False, str(s.trino_ca_path)
    anonymous = session.post(f"{s.trino_url}/v1/statement", data="select 1", headers={"X-Trino-User": "etl"})
    assert anonymous.status_code == 401  # a user name alone is no longer a login
    with pytest.raises(requests.ConnectionError):  # and there is no plain-HTTP port to send one to
        session.post(f"http://{s.trino_host}:{s.trino_port}/v1/statement", data="select 1", timeout=10)


def follow(session: requests.Session, answer: dict) -> dict:
    while answer.get("nextUri") and "error" not in answer:
        answer = session.get(answer["nextUri"], timeout=30).json()
    return answer


def test_a_role_cannot_act_as_another_role(stack):
    """Logged in as analyst, claiming to be etl (X-Trino-User): impersonation is refused."""
    s = stack
    with http_session(s, s.trino_analyst_user) as session:
        session.headers["X-Trino-User"] = s.trino_etl_user
        answer = follow(session, session.post(f"{s.trino_url}/v1/statement", data="select 1").json())
    assert "cannot impersonate user etl" in answer["error"]["message"], answer


# --- queries of other users ------------------------------------------------------------------------------

#: a query that stays running while nobody reads its result (its output buffer fills up)
LONG_QUERY = (
    "select a.x, b.y, repeat('x', 200) from unnest(sequence(1, 5000)) as a(x) "
    "cross join unnest(sequence(1, 5000)) as b(y)"
)


def query_state(s, query_id: str) -> str:
    rows = run(
        s, s.trino_analyst_user, f"select state from system.runtime.queries where query_id = '{query_id}'"
    )
    return rows[0][0] if rows else "GONE"


def test_a_query_of_another_user_can_be_neither_seen_nor_killed(stack):
    s = stack
    owner = http_session(s, s.trino_analyst_user)
    answer = owner.post(f"{s.trino_url}/v1/statement", data=LONG_QUERY, timeout=30).json()
    query_id = answer["id"]
    try:
        deadline = time.monotonic() + 60
        # Trino starts a query when its client follows nextUri; stop reading once it runs
        while answer["stats"]["state"] != "RUNNING":
            assert time.monotonic() < deadline and "error" not in answer, answer.get("error")
            answer = owner.get(answer["nextUri"], timeout=30).json()
        assert query_state(s, query_id) == "RUNNING"
        for other in (s.trino_dashboard_user, s.trino_etl_user):
            visible = run(
                s, other, f"select count(*) from system.runtime.queries where query_id = '{query_id}'"
            )
            assert visible == [[0]], f"{other} sees {s.trino_analyst_user}'s query"
            with pytest.raises(TrinoUserError) as err:
                run(s, other, f"call system.runtime.kill_query(query_id => '{query_id}', message => 'no')")
            assert "Access Denied" in str(err.value), err.value
            with http_session(s, other) as session:
                response = session.delete(f"{s.trino_url}/v1/query/{query_id}", timeout=30)
                assert response.status_code in (403, 404), response.status_code
        assert query_state(s, query_id) == "RUNNING", "another user's kill landed"
        # its owner may
        run(
            s,
            s.trino_analyst_user,
            f"call system.runtime.kill_query(query_id => '{query_id}', message => 'done')",
        )
        deadline = time.monotonic() + 30
        while query_state(s, query_id) not in ("FAILED", "GONE"):
            assert time.monotonic() < deadline, "the owner's kill did not land"
            time.sleep(0.2)
    finally:
        if answer.get("nextUri"):
            owner.delete(answer["nextUri"], timeout=30)
        owner.close()
