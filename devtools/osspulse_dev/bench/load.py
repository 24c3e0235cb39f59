"""``make bench-load``: Postgres staging -> Iceberg raw throughput, Spark vs a PyIceberg baseline.

For each size (default 100k and 1M staged commits, one load date) the benchmark stages synthetic
commit payloads in a scratch database, then times

* the Spark job (:func:`osspulse.load.raw.load_entity`: partitioned JDBC read, typed extraction,
  rejects, one overwrite commit) — rows/s, excluding Spark start-up, which is reported separately;
* a PyIceberg baseline doing the same work in one Python process: a server-side cursor over the
  window, the same typed columns extracted in Python, Arrow batches appended to an Iceberg table.

It prints figures and the Spark / PyIceberg throughput ratio. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import psycopg
from psycopg import sql

from osspulse import logs
from osspulse.entities import entity
from osspulse.settings import Settings, get_settings

log = logging.getLogger("bench.load")
LOAD_DATE = date(2026, 1, 15)
COMMITS = entity("github_commits")


def synthetic_commit(i: int, rng: random.Random) -> str:
    when = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(0, 600_000))
    login = f"dev{rng.randrange(400)}"
    return json.dumps(
        {
            "sha": f"{i:040x}",
            "node_id": f"C_{i}",
            "author": {"login": login, "id": i % 400, "type": "User"},
            "committer": {"login": "web-flow", "id": 1, "type": "User"},
            "commit": {
                "author": {"name": login, "email": f"{login}@example.org", "date": when.isoformat()},
                "committer": {"name": "GitHub", "email": "noreply@github.com", "date": when.isoformat()},
                "message": "Fix the thing " + "x" * rng.randrange(20, 400),
                "comment_count": 0,
            },
            "parents": [{"sha": f"{i - 1:040x}"}],
            "html_url": f"https://github.com/o/r/commit/{i:040x}",
        }
    )


def stage_commits(s: Settings, n: int) -> None:
    rng = random.Random(n)
    fetched = datetime(2026, 1, 15, 6, tzinfo=UTC)
    with psycopg.connect(s.pg_dsn()) as conn:
        conn.execute("create schema if not exists staging")
        conn.execute(COMMITS.staging_ddl())
        with (
            conn.cursor() as cur,
            cur.copy(
                "copy staging.github_commits (repo, sha, payload, load_date, fetched_at) from stdin"
            ) as copy,
        ):
            for i in range(n):
                copy.write_row(("o/r", f"{i:040x}", synthetic_commit(i, rng), LOAD_DATE, fetched))
                if i and i % 200_000 == 0:
                    log.info("  staged %d / %d", i, n)
        conn.execute("analyze staging.github_commits")


def pyiceberg_baseline(s: Settings, namespace: str, batch_rows: int = 50_000) -> tuple[int, float]:
    """The same load without Spark: Python extraction, Arrow batches, PyIceberg appends."""
    import pyarrow as pa

    from osspulse.lake.catalog import load_catalog

    catalog = load_catalog(s)
    catalog.create_namespace_if_not_exists(namespace)
    schema = pa.schema(
        [
            ("repo", pa.string()), ("sha", pa.string()), ("author_login", pa.string()),
            ("author_name", pa.string()), ("author_email", pa.string()),
            ("author_date", pa.timestamp("us", tz="UTC")), ("committer_login", pa.string()),
            ("committer_date", pa.timestamp("us", tz="UTC")), ("message", pa.string()),
            ("payload", pa.string()), ("load_date", pa.date32()),
            ("fetched_at", pa.timestamp("us", tz="UTC")),
        ]
    )  # fmt: skip
    table = catalog.create_table(f"{namespace}.github_commits_pyiceberg", schema=schema)
    with table.update_spec() as update:
        update.add_identity("load_date")
    t0 = time.monotonic()
    rows = 0
    with psycopg.connect(s.pg_dsn()) as conn, conn.cursor(name="bench") as cur:
        cur.itersize = batch_rows
        cur.execute(
            "select repo, sha, payload::text, load_date, fetched_at from staging.github_commits "
            "where load_date >= %s and load_date < %s",
            (LOAD_DATE, LOAD_DATE + timedelta(days=1)),
        )
        while batch := cur.fetchmany(batch_rows):
            cols: dict[str, list] = {name: [] for name in schema.names}
            for repo, sha, payload, load_date, fetched_at in batch:
                body = json.loads(payload)
                author, commit = body.get("author") or {}, body.get("commit") or {}
                cols["repo"].append(repo)
                cols["sha"].append(sha)
                cols["author_login"].append(author.get("login"))
                cols["author_name"].append((commit.get("author") or {}).get("name"))
                cols["author_email"].append((commit.get("author") or {}).get("email"))
                cols["author_date"].append(_ts((commit.get("author") or {}).get("date")))
                cols["committer_login"].append((body.get("committer") or {}).get("login"))
                cols["committer_date"].append(_ts((commit.get("committer") or {}).get("date")))
                cols["message"].append(commit.get("message"))
                cols["payload"].append(payload)
                cols["load_date"].append(load_date)
                cols["fetched_at"].append(fetched_at)
            table.append(pa.table(cols, schema=schema))
            rows += len(batch)
    return rows, time.monotonic() - t0


def _ts(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value).astimezone(UTC) if value else None


def measure(spark, base: Settings, n: int) -> dict:
    """Stage ``n`` synthetic commits in a scratch database, load them with Spark, then with PyIceberg."""
    from osspulse.lake.catalog import load_catalog
    from osspulse.load import raw

    db = f"osspulse_bench_{uuid.uuid4().hex[:8]}"
    namespace = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base.pg_dsn("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(db)))
    s = base.model_copy(update={"pg_staging_db": db})
    try:
        log.info("staging %d synthetic commits", n)
        stage_commits(s, n)
        log.info("Spark load of %d rows", n)
        result = raw.load_entity(spark, s, COMMITS, LOAD_DATE, LOAD_DATE + timedelta(days=1), namespace)
        spark_s = result.duration_s
        log.info("PyIceberg baseline load of %d rows", n)
        py_rows, py_s = pyiceberg_baseline(s, namespace)
        measured = {
            "rows": n,
            "spark_s": round(spark_s, 1),
            "spark_rows_per_s": round(result.rows_written / spark_s),
            "pyiceberg_s": round(py_s, 1),
            "pyiceberg_rows_per_s": round(py_rows / py_s),
            "spark_vs_pyiceberg_throughput": round((result.rows_written / spark_s) / (py_rows / py_s), 2),
        }
        log.info("%s", measured)
        return measured
    finally:
        catalog = load_catalog(base)
        for table in catalog.list_tables(namespace):
            catalog.purge_table(table)
        catalog.drop_namespace(namespace)
        with psycopg.connect(base.pg_dsn("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("drop database {} with (force)").format(sql.Identifier(db)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument(
        "--warm-up-rows",
        type=int,
        default=10_000,
        help="a first load of this size, reported apart (0: none; the first size then pays it)",
    )
    args = parser.parse_args(argv)
    logs.configure()
    base = get_settings()

    from osspulse.lake.spark import spark_session

    t0 = time.monotonic()
    spark = spark_session(base, "bench-load")
    spark.sql("select 1").collect()
    startup = time.monotonic() - t0
    # The first load job of an application loads and JIT-compiles the JDBC, Iceberg and Parquet write
    # path (and PyIceberg/Arrow theirs): a fixed cost of every load run, like the session's start-up,
    # measured here apart so that the first size is not charged for it and the second not spared.
    warm_up = measure(spark, base, args.warm_up_rows) if args.warm_up_rows else None
    results = [measure(spark, base, n) for n in args.sizes]
    spark.stop()
    print(json.dumps({"spark_startup_s": round(startup, 1), "warm_up": warm_up, "runs": results}, indent=2))
    for r in results:
        print(
            f"{r['rows']:>9,} rows: Spark {r['spark_rows_per_s']:>8,} rows/s, PyIceberg "
            f"{r['pyiceberg_rows_per_s']:>8,} rows/s, ratio {r['spark_vs_pyiceberg_throughput']}"
        )
    print(f"Spark start-up (session + first query): {startup:.1f} s")
    if warm_up:
        print(
            f"first load job ({warm_up['rows']:,} rows, warm-up of the write path, apart): Spark "
            f"{warm_up['spark_s']} s, PyIceberg {warm_up['pyiceberg_s']} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
