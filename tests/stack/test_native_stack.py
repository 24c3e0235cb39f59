"""The native stack for real: engines share the catalog, data survives a restart, ports fail fast."""

from __future__ import annotations

import socket
import uuid

import psycopg
import pytest

from osspulse.lake import smoke
from osspulse.lake.catalog import load_catalog
from osspulse.lake.trino import trino_connection
from osspulse.stack import runner
from osspulse.stack.process import StackError

pytestmark = pytest.mark.integration


def test_status_reports_every_service_healthy(stack):
    rows = [r for r in runner.status(stack) if r.name != "fake-api"]  # the simulator only in demo mode
    assert [r.name for r in rows] == [
        "postgres", "minio", "trino", "streamlit", "docs",
        "airflow-api-server", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer",
    ]  # fmt: skip
    unhealthy = [(r.name, r.detail) for r in rows if not r.healthy]
    assert not unhealthy


def test_spark_writes_and_trino_and_pyiceberg_read_the_same_rows(stack, spark):
    result = smoke.run(stack)
    assert result["spark_rows"] == result["trino_rows"] == result["pyiceberg_rows"] == len(smoke.ROWS)
    assert result["trino_partitions"] == 3
    table = load_catalog(stack).load_table("smoke.t")
    assert [f.name for f in table.spec().fields] == ["day"]  # partitioned by the date column


def test_trino_reads_staging_as_the_read_only_role(stack):
    name = f"smoke_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(stack.pg_dsn()) as conn:
        conn.execute(f"create table staging.{name} (id int primary key, label text)")
        conn.execute(f"insert into staging.{name} values (1, 'a'), (2, 'b')")
    try:
        with trino_connection(stack, user=stack.trino_analyst_user, catalog="staging") as conn:
            cur = conn.cursor()
            cur.execute(f"select count(*), max(label) from staging.{name}")
            assert cur.fetchone() == [2, "b"]
        # the reader role cannot write, whatever Trino allows
        with (
            psycopg.connect(stack.pg_dsn(reader=True)) as conn,
            pytest.raises(psycopg.errors.InsufficientPrivilege),
        ):
            conn.execute(f"insert into staging.{name} values (3, 'c')")
    finally:
        with psycopg.connect(stack.pg_dsn()) as conn:
            conn.execute(f"drop table staging.{name}")


def test_up_is_idempotent(stack):
    before = {r.name: r.pid for r in runner.status(stack)}
    runner.up(stack)
    assert {r.name: r.pid for r in runner.status(stack)} == before  # running services were left alone


def test_a_taken_port_fails_fast_naming_the_port_and_setting(stack, tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        s = stack.model_copy(update={"state_dir": tmp_path, "streamlit_port": port})
        with pytest.raises(StackError, match=rf"port {port} .*OSSPULSE_STREAMLIT_PORT"):
            runner.up(s, only=["streamlit"], timeout=10)


def test_data_survives_down_and_up(stack, spark):
    """The seed system lost its lakehouse on restart: stop everything, start again, read the table."""
    smoke.run(stack)
    with trino_connection(stack) as conn:
        cur = conn.cursor()
        cur.execute("select count(*) from lake.smoke.t")
        before = cur.fetchone()[0]
    stopped = runner.down(stack)
    assert "postgres" in stopped and "minio" in stopped and "trino" in stopped
    assert all(r.state == "stopped" for r in runner.status(stack))
    runner.up(stack)
    with trino_connection(stack) as conn:
        cur = conn.cursor()
        cur.execute("select count(*) from lake.smoke.t")
        assert cur.fetchone()[0] == before == len(smoke.ROWS)
    assert load_catalog(stack).load_table("smoke.t").scan().to_arrow().num_rows == before
