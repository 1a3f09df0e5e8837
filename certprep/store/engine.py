"""The engine factory: SQLite by default (WAL, foreign keys, busy timeout); PostgreSQL (psycopg 3)
or any SQLAlchemy URL else."""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

BUSY_TIMEOUT_MS = 10_000


class RawJSON(str):
    """JSON text already serialised (bulk imports): stored as is, not encoded again."""


def _json_serializer(obj: Any) -> str:
    if isinstance(obj, RawJSON):
        return str(obj)
    return json.dumps(obj, ensure_ascii=False)


def database_url(db: str | Path) -> str:
    """A plain path means SQLite at that path; anything with '://' is an SQLAlchemy URL.

    A bare ``postgresql://`` (or ``postgres://``) URL gets the psycopg 3 driver certprep uses.
    """
    text = str(db)
    for bare in ("postgresql://", "postgres://"):
        if text.startswith(bare):
            return "postgresql+psycopg://" + text.removeprefix(bare)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def make_engine(url: str) -> Engine:
    """Build an engine; for SQLite turn on WAL, foreign keys, a busy timeout and synchronous=NORMAL."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url,
            connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            json_serializer=_json_serializer,
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            # pysqlite's own transaction handling breaks BEGIN IMMEDIATE; we issue BEGIN ourselves
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            if ":memory:" not in url and url != "sqlite://":
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            # writers take the lock up front (busy_timeout applies, no failed lock upgrade);
            # readers begin deferred and, in WAL mode, never wait for anyone
            immediate = conn.get_execution_options().get("sqlite_immediate", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    try:
        engine = sa.create_engine(url, pool_pre_ping=True, json_serializer=_json_serializer)
    except ModuleNotFoundError as exc:
        from certprep.core.problems import InputError

        hint = " (pip install 'certprep[postgres]')" if url.startswith("postgresql+psycopg") else ""
        raise InputError(
            f"the database driver {exc.name!r} for this URL is not installed{hint}"
        ) from None
    if engine.dialect.name == "postgresql":
        _postgresql_writers(engine)
    return engine


# pg_advisory_xact_lock key of the one-writer-at-a-time lock ("cert" in ASCII)
PG_WRITER_LOCK = 0x63657274
# imports and bank removals queue on their own key ("cerb"): a long import never holds the lock
# learners' answers wait on (PostgreSQL's row locks and MVCC keep the two apart)
PG_IMPORT_LOCK = 0x63657262


def _postgresql_writers(engine: Engine) -> None:
    """Give PostgreSQL the write discipline the code was written for on SQLite.

    SQLite runs one write transaction at a time (BEGIN IMMEDIATE) and waits up to the busy
    timeout for its turn; the services read, decide and write inside one ``writing()`` block
    and rely on that. On PostgreSQL a write transaction takes a transaction-scoped advisory
    lock first, so writers queue the same way, and every lock wait gives up after the same
    timeout (the error then reads "lock timeout"). Readers never take the lock.
    """

    @event.listens_for(engine, "connect")
    def _session_settings(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute(f"SET lock_timeout = {BUSY_TIMEOUT_MS}")
        cur.close()
        dbapi_conn.commit()

    @event.listens_for(engine, "begin")
    def _one_writer(conn: Any) -> None:
        options = conn.get_execution_options()
        if options.get("sqlite_immediate", False):
            key = PG_IMPORT_LOCK if options.get("importing", False) else PG_WRITER_LOCK
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({key})")


def writing(engine: Engine, *, importing: bool = False) -> AbstractContextManager[Connection]:
    """A write transaction: ``with writing(engine) as conn: ...`` commits on success.

    One writer at a time: BEGIN IMMEDIATE on SQLite, an advisory lock on PostgreSQL. Bank imports
    and removals (``importing=True``) take their own lock on PostgreSQL, so they wait for each
    other but learners' writes never wait for them.
    """
    # the engine with the writer's options is made once per engine and kept on it
    key = "_certprep_importer" if importing else "_certprep_writer"
    writer = engine.__dict__.get(key)
    if writer is None:
        writer = engine.execution_options(sqlite_immediate=True, importing=importing)
        setattr(engine, key, writer)
    return writer.begin()


def sqlite_path(engine: Engine) -> Path | None:
    """The file behind a SQLite engine, or None for other backends and in-memory databases."""
    if engine.dialect.name != "sqlite":
        return None
    db = engine.url.database
    if not db or db == ":memory:":
        return None
    return Path(db)
