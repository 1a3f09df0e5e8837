"""Bring a database to the schema this certprep expects, on open.

Reading the version is one SELECT; Alembic (about half a second to import) is loaded only when
the database is new or behind. A database made by a newer certprep is refused, not touched.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from certprep.store.engine import sqlite_path, writing
from certprep.store.files import (
    APPLICATION_ID,
    DatabaseFileError,
    FileState,
    copy_database,
    inspect_sqlite_file,
    is_corruption,
    owner_only,
    restore_hint,
)

# Every revision in migrations/versions, oldest first. A test checks this against Alembic.
REVISIONS = (
    "0001",
    "0002",
    "0003",
    "0004",
    "0005_perf_indexes",
    "0006_bank_scoped_ids",
    "0008_perf_denormalised",
    "0009_item_case_index",
)
HEAD = REVISIONS[-1]


class SchemaError(Exception):
    """The database cannot be used by this version of certprep; the message says why."""


def current_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at, or None for a database without certprep tables."""
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        row = conn.execute(sa.text("SELECT version_num FROM alembic_version")).first()
        return row[0] if row else None


def alembic_config(engine: Engine):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    from certprep.resources import shipped_dir

    cfg = Config()
    cfg.set_main_option("script_location", str(shipped_dir("migrations")))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run Alembic's upgrade to ``revision`` on this engine."""
    from alembic import command

    cfg = alembic_config(engine)
    with writing(engine) as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def backup_sqlite(engine: Engine, dest: Path, *, quick: bool = False) -> Path:
    """A consistent, integrity-checked copy of a SQLite database (0600), safe while others write.

    A damaged database is not copied as if it were fine: DatabaseFileError says what is wrong."""
    src_path = sqlite_path(engine)
    if src_path is None:
        raise SchemaError(
            "backups are made of SQLite files; use your server's tools for other databases"
        )
    try:
        return copy_database(src_path, dest, quick=quick)
    except DatabaseFileError as exc:
        raise SchemaError(str(exc)) from None


def _check_file(engine: Engine) -> FileState | None:
    """Refuse an empty, damaged or foreign SQLite file before anything connects to it."""
    path = sqlite_path(engine)
    if path is None:
        return None
    try:
        return inspect_sqlite_file(path)
    except DatabaseFileError as exc:
        raise SchemaError(str(exc)) from None


def _mark(engine: Engine) -> None:
    """Stamp a SQLite database as certprep's (PRAGMA application_id)."""
    with writing(engine) as conn:
        conn.exec_driver_sql(f"PRAGMA application_id = {APPLICATION_ID}")


def _damaged(engine: Engine, exc: BaseException) -> SchemaError:
    path = sqlite_path(engine)
    return SchemaError(
        f"the database file {path} is damaged ({getattr(exc, 'orig', exc)}). {restore_hint(path or '')}"
    )


def ensure_schema(engine: Engine, *, on_backup: Callable[[Path], None] | None = None) -> str:
    """Create or upgrade the schema to HEAD; refuse a database from a newer certprep, and a
    SQLite file that is empty, damaged or another application's (leaving it untouched)."""
    state = _check_file(engine)
    try:
        if state is FileState.MISSING:
            # the new file (and its -wal, -shm) readable by the owner only
            with owner_only(), engine.connect():
                pass
        return _ensure_schema(engine, state, on_backup)
    except sa.exc.DatabaseError as exc:
        if is_corruption(exc):
            raise _damaged(engine, exc) from None
        raise


def _refuse_foreign_server_database(engine: Engine) -> None:
    """A server database (PostgreSQL) with tables but no certprep schema belongs to someone
    else: certprep does not add its tables beside theirs."""
    with engine.connect() as conn:
        tables = sorted(sa.inspect(conn).get_table_names())
    if tables:
        shown = ", ".join(tables[:5]) + (", …" if len(tables) > 5 else "")
        raise SchemaError(
            f"this database holds another application's tables ({shown}) and no certprep "
            "schema; certprep leaves it alone. Give --db an empty database of its own."
        )


def _ensure_schema(
    engine: Engine, state: FileState | None, on_backup: Callable[[Path], None] | None
) -> str:
    rev = current_revision(engine)
    if rev is None and state is None:
        _refuse_foreign_server_database(engine)
    if rev == HEAD:
        if state is FileState.OURS_UNMARKED:
            _mark(engine)
        return HEAD
    if rev is not None and rev not in REVISIONS:
        raise SchemaError(
            f"this database was written by a newer certprep (schema {rev}; this version knows up "
            f"to {HEAD}). Upgrade certprep, or open another database with --db."
        )
    if rev is not None:
        path = sqlite_path(engine)
        if path is not None and path.exists():
            stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
            copy = backup_sqlite(
                engine,
                path.with_name(f"{path.stem}.before-{HEAD}-{stamp}{path.suffix}"),
                quick=True,
            )
            if on_backup:
                on_backup(copy)
    upgrade(engine)
    if state is not None and state is not FileState.OURS:
        _mark(engine)
    return HEAD
