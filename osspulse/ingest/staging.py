"""The staging writer: ``staging.<entity>`` upserts and the bookmark/ETag state, in one transaction.

Tables follow :meth:`osspulse.entities.Entity.staging_ddl`. The state table has one row per
(stream, partition), partition being the repo or package:

* ``bookmark``: where the next run starts (a ``since`` timestamp), advanced only with the rows it covers;
* ``etag`` / ``etag_url``: the ETag of the exact URL the next run will ask first (a 304 costs nothing);
* ``cursor``: the resume point of an unfinished pass (next page URL, pending high-water mark, ...).

Upserts keep an unchanged row untouched (its first ``load_date`` and ``fetched_at`` stay), so reruns are
no-ops and the Spark loader's load-date windows stay stable.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import psycopg
from psycopg import sql
from psycopg.adapt import PyFormat
from psycopg.types.json import Jsonb

from osspulse.entities import ENTITIES, STAGING_TYPES, Entity
from osspulse.settings import Settings

log = logging.getLogger(__name__)

STATE_TABLE = "staging._ingest_state"
STATE_DDL = f"""
create table if not exists {STATE_TABLE} (
    stream text not null,
    partition text not null,
    bookmark text,
    etag text,
    etag_url text,
    cursor jsonb,
    updated_at timestamptz not null default now(),
    primary key (stream, partition)
)"""
SEEN_TABLE = "staging._ingest_seen"
SEEN_DDL = f"""
create table if not exists {SEEN_TABLE} (
    stream text not null,
    partition text not null,
    key text not null,
    primary key (stream, partition, key)
)"""
_DDL_LOCK_KEY = 7_270_245_001  # pg_advisory_xact_lock key: one staging DDL run at a time

#: A row to upsert: the natural key values (in the entity's key order) and the payload.
Row = tuple[tuple[Any, ...], dict[str, Any]]


@dataclass
class UpsertCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def upserted(self) -> int:
        return self.inserted + self.updated

    def add(self, other: UpsertCounts) -> None:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged


@dataclass
class StreamState:
    stream: str
    partition: str
    bookmark: str | None = None
    etag: str | None = None
    etag_url: str | None = None
    cursor: dict[str, Any] | None = field(default=None)

    def etag_for(self, url: str) -> str | None:
        """The stored ETag if it was stored for exactly this URL."""
        return self.etag if self.etag and self.etag_url == url else None


def connect(settings: Settings) -> psycopg.Connection:
    """An autocommit connection to the staging database, as the owner role (transactions are explicit)."""
    return psycopg.connect(
        settings.pg_dsn(),
        autocommit=True,
        application_name="osspulse-ingest",
        options="-c synchronous_commit=off",
    )


_ensured: set[tuple[str, str, int, str]] = set()


def locked_ddl(conn: psycopg.Connection, *statements: str) -> None:
    """Run DDL under the staging DDL lock: concurrent CREATE ... IF NOT EXISTS can still collide."""
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", (_DDL_LOCK_KEY,))
        conn.execute("create schema if not exists staging")
        for statement in statements:
            conn.execute(statement)


def ensure_staging(conn: psycopg.Connection, settings: Settings | None = None) -> None:
    """Create schema ``staging``, every entity table and the state table (idempotent, concurrency-safe)."""
    info = conn.info
    key = (info.host, info.dbname, info.port, info.user)
    if key in _ensured and conn.execute("select to_regclass('staging._ingest_source')").fetchone()[0]:
        return  # (checked: a reset may have dropped the schema since)
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", (_DDL_LOCK_KEY,))
        conn.execute("create schema if not exists staging")
        for e in ENTITIES:
            conn.execute(e.staging_ddl())
        conn.execute(STATE_DDL)
        conn.execute(SEEN_DDL)
        conn.execute(SOURCE_DDL)
    _ensured.add(key)


def _dumps(payload: dict[str, Any]) -> str:
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    # jsonb cannot hold NUL characters; an API text that contains one gets U+FFFD instead
    return text.replace("\\u0000", "\\ufffd") if "\\u0000" in text else text


def upsert(
    conn: psycopg.Connection,
    entity: Entity,
    rows: Sequence[Row],
    *,
    load_date: date,
    fetched_at: datetime,
) -> UpsertCounts:
    """Upsert rows into ``staging.<entity>``; an unchanged payload keeps its load_date and fetched_at."""
    if not rows:
        return UpsertCounts()
    unique: dict[tuple[Any, ...], str] = {}
    for key, payload in rows:  # one statement cannot touch a key twice: the last one wins
        if len(key) != len(entity.key):
            raise ValueError(f"{entity.name}: key {key!r} does not match {entity.key_names}")
        unique[tuple(key)] = _dumps(payload)
    names = entity.key_names
    columns = list(zip(*unique.keys(), strict=True))
    params: dict[str, Any] = {
        "load_date": load_date,
        "fetched_at": fetched_at,
        "payloads": list(unique.values()),
    }
    arrays = []
    for i, (values, (_, typ)) in enumerate(zip(columns, entity.key, strict=True)):
        params[f"k{i}"] = list(values)
        placeholder = sql.Placeholder(f"k{i}", PyFormat.BINARY)
        arrays.append(sql.SQL("{}::{}[]").format(placeholder, sql.SQL(STAGING_TYPES[typ])))
    ids = sql.SQL(", ").join(map(sql.Identifier, names))
    query = sql.SQL(
        "insert into {table} as t ({ids}, payload, load_date, fetched_at) "
        "select {ids}, p::jsonb, %(load_date)s, %(fetched_at)s "
        "from unnest({arrays}, %(payloads)b::text[]) as u({ids}, p) "
        "on conflict ({ids}) do update set payload = excluded.payload, load_date = excluded.load_date, "
        "fetched_at = excluded.fetched_at where t.payload is distinct from excluded.payload "
        "returning (xmax = 0) as inserted"
    ).format(table=sql.SQL(entity.staging_table), ids=ids, arrays=sql.SQL(", ").join(arrays))
    # arrays go in binary: the text array format would make psycopg escape every payload (slow)
    flags = [row[0] for row in conn.execute(query, params).fetchall()]
    inserted = sum(1 for f in flags if f)
    return UpsertCounts(inserted, len(flags) - inserted, len(unique) - len(flags))


def read_state(conn: psycopg.Connection, stream: str, partition: str) -> StreamState:
    row = conn.execute(
        f"select bookmark, etag, etag_url, cursor from {STATE_TABLE} where stream = %s and partition = %s",
        (stream, partition),
    ).fetchone()
    if row is None:
        return StreamState(stream, partition)
    return StreamState(stream, partition, row[0], row[1], row[2], row[3])


def write_state(conn: psycopg.Connection, state: StreamState) -> None:
    conn.execute(
        f"insert into {STATE_TABLE} (stream, partition, bookmark, etag, etag_url, cursor, updated_at) "
        "values (%s, %s, %s, %s, %s, %s, now()) on conflict (stream, partition) do update set "
        "bookmark = excluded.bookmark, etag = excluded.etag, etag_url = excluded.etag_url, "
        "cursor = excluded.cursor, updated_at = excluded.updated_at",
        (
            state.stream,
            state.partition,
            state.bookmark,
            state.etag,
            state.etag_url,
            Jsonb(state.cursor) if state.cursor is not None else None,
        ),
    )


def reset_state(conn: psycopg.Connection, partition: str, streams: Sequence[str]) -> None:
    """Forget bookmarks, ETags and cursors (``--full-refresh``); staging rows stay."""
    conn.execute(
        f"delete from {STATE_TABLE} where partition = %s and stream = any(%s)", (partition, list(streams))
    )


def latest_snapshot(
    conn: psycopg.Connection, entity: Entity, partition_column: str, partition: str
) -> tuple[date, dict[str, Any]] | None:
    """(snapshot_date, payload) of the newest snapshot row of a repo/package."""
    row = conn.execute(
        sql.SQL(
            "select snapshot_date, payload from {} where {} = %s order by snapshot_date desc limit 1"
        ).format(sql.SQL(entity.staging_table), sql.Identifier(partition_column)),
        (partition,),
    ).fetchone()
    return (row[0], row[1]) if row else None


@contextmanager
def transaction(conn: psycopg.Connection) -> Iterator[psycopg.Connection]:
    with conn.transaction():
        yield conn


# --- tombstones: records that vanished at the source ---------------------------------------------------


def _split_key(entity: Entity) -> tuple[str, str, str]:
    """(partition column, record key column, its Postgres type) of a two-column key."""
    if len(entity.key) != 2:
        raise ValueError(f"{entity.name}: tombstones need a (partition, key) key, not {entity.key_names}")
    (part, _), (name, typ) = entity.key
    return part, name, STAGING_TYPES[typ]


def live_keys(conn: psycopg.Connection, entity: Entity, partition: str, keys: Sequence[Any]) -> set[Any]:
    """The ``keys`` that staging holds for ``partition`` and that are not tombstoned."""
    if not keys:
        return set()
    part, name, typ = _split_key(entity)
    query = sql.SQL(
        "select {k} from {t} where {p} = %s and {k} = any(%s::{typ}[]) and not payload ? '_osspulse'"
    ).format(
        k=sql.Identifier(name), t=sql.SQL(entity.staging_table), p=sql.Identifier(part), typ=sql.SQL(typ)
    )
    return {row[0] for row in conn.execute(query, (partition, list(keys)))}


def tombstone(
    conn: psycopg.Connection,
    entity: Entity,
    partition: str,
    keys: Sequence[Any] | None,
    *,
    reason: str,
    load_date: date,
    fetched_at: datetime,
    unseen_stream: str | None = None,
) -> int:
    """Mark live records gone: ``keys``, or (``unseen_stream``) every live one a full listing did not see.

    The payload keeps its last value plus ``_osspulse: {deleted_at, reason}``; ``load_date`` moves, so
    the raw load picks the change up. Returns how many records were tombstoned.
    """
    part, name, typ = _split_key(entity)
    marker = Jsonb(
        {"deleted_at": fetched_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "reason": reason}
    )
    if unseen_stream is not None:
        which = sql.SQL(
            "{k}::text not in (select key from {seen} where stream = %(stream)s and partition = %(p)s)"
        )
        which = which.format(k=sql.Identifier(name), seen=sql.SQL(SEEN_TABLE))
    else:
        if not keys:
            return 0
        which = sql.SQL("{k} = any(%(keys)s::{typ}[])").format(k=sql.Identifier(name), typ=sql.SQL(typ))
    query = sql.SQL(
        "update {t} set payload = payload || jsonb_build_object('_osspulse', %(marker)s::jsonb), "
        "load_date = %(load_date)s, fetched_at = %(fetched_at)s "
        "where {p} = %(p)s and not payload ? '_osspulse' and {which}"
    ).format(t=sql.SQL(entity.staging_table), p=sql.Identifier(part), which=which)
    params = {
        "marker": marker,
        "load_date": load_date,
        "fetched_at": fetched_at,
        "p": partition,
        "keys": list(keys or []),
        "stream": unseen_stream,
    }
    return conn.execute(query, params).rowcount


def mark_seen(conn: psycopg.Connection, stream: str, partition: str, keys: Sequence[Any]) -> None:
    """Remember the keys a full listing has returned so far (committed with the page)."""
    if keys:
        conn.execute(
            f"insert into {SEEN_TABLE} (stream, partition, key) select %s, %s, unnest(%s::text[]) "
            "on conflict do nothing",
            (stream, partition, [str(k) for k in keys]),
        )


def clear_seen(conn: psycopg.Connection, stream: str, partition: str) -> None:
    conn.execute(f"delete from {SEEN_TABLE} where stream = %s and partition = %s", (stream, partition))


# --- where staging's rows came from: demo and real data never mix ---------------------------------------

SOURCE_DDL = """
create table if not exists staging._ingest_source (
    one integer primary key default 1 check (one = 1),
    source text not null,
    detail text not null,
    since timestamptz not null default now()
)"""
PUBLIC_APIS = ("https://api.github.com", "https://pypistats.org", "https://pypi.org")


class MixedSourcesError(ValueError):
    """Staging holds rows from one kind of source (simulator or real APIs) and this run reads the other."""


def source_of(settings: Settings) -> tuple[str, str]:
    """``("real", urls)`` for the public APIs, ``("simulator", dataset or urls)`` for anything else."""
    urls = (settings.github_api_url, settings.pypistats_url, settings.pypi_url)
    if tuple(u.rstrip("/") for u in urls) == PUBLIC_APIS:
        return "real", ", ".join(PUBLIC_APIS)
    return "simulator", settings.fake_api_data or ", ".join(sorted(set(urls)))


def recorded_source(conn: psycopg.Connection) -> tuple[str, str, datetime] | None:
    if conn.execute("select to_regclass('staging._ingest_source')").fetchone()[0] is None:
        return None
    row = conn.execute("select source, detail, since from staging._ingest_source").fetchone()
    return (row[0], row[1], row[2]) if row else None


def check_source(conn: psycopg.Connection, settings: Settings) -> None:
    """Record the source of a fresh staging; refuse a run that would mix simulator and real-API rows."""
    kind, detail = source_of(settings)
    ensure_staging(conn)
    recorded = recorded_source(conn)
    if recorded is None:
        conn.execute(
            "insert into staging._ingest_source (source, detail) values (%s, %s) on conflict do nothing",
            (kind, detail),
        )
        return
    if recorded[0] != kind:
        what = "the API simulator" if recorded[0] == "simulator" else "the real GitHub and PyPI APIs"
        now = "the real APIs" if kind == "real" else f"the simulator ({detail})"
        raise MixedSourcesError(
            f"staging ({settings.pg_staging_db}) holds rows from {what} since {recorded[2]:%Y-%m-%d %H:%MZ} "
            f"({recorded[1]}), and this run reads {now}: demo and real data never mix. To switch to the "
            "real APIs run `osspulse demo --real-apis` (it names what it deletes: staging and the lake's "
            "raw, bronze, silver, gold and ops namespaces); to keep both, point OSSPULSE_PG_STAGING_DB "
            "elsewhere."
        )


def forget_ensured() -> None:
    """After staging was dropped: the next connection creates the tables again."""
    _ensured.clear()
