"""The engine factory: SQLite by default (WAL, foreign keys, busy timeout), any SQLAlchemy URL else."""

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
    """A plain path means SQLite at that path; anything with '://' is an SQLAlchemy URL."""
    text = str(db)
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
    return sa.create_engine(url, pool_pre_ping=True, json_serializer=_json_serializer)


def writing(engine: Engine) -> AbstractContextManager[Connection]:
    """A write transaction: ``with writing(engine) as conn: ...`` commits on success."""
    return engine.execution_options(sqlite_immediate=True).begin()


def sqlite_path(engine: Engine) -> Path | None:
    """The file behind a SQLite engine, or None for other backends and in-memory databases."""
    if engine.dialect.name != "sqlite":
        return None
    db = engine.url.database
    if not db or db == ":memory:":
        return None
    return Path(db)
