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

# Every revision in migrations/versions, oldest first. A test checks this against Alembic.
REVISIONS = ("0001", "0002", "0003")
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


def backup_sqlite(engine: Engine, dest: Path) -> Path:
    """A consistent copy of a SQLite database through the backup API, safe while others write."""
    import sqlite3

    src_path = sqlite_path(engine)
    if src_path is None:
        raise SchemaError(
            "backups are made of SQLite files; use your server's tools for other databases"
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    src = sqlite3.connect(f"file:{src_path}?mode=ro", uri=True, timeout=10)
    try:
        out = sqlite3.connect(tmp)
        try:
            src.backup(out)
        finally:
            out.close()
    finally:
        src.close()
    tmp.replace(dest)  # all or nothing: a half-written backup never has the final name
    return dest


def ensure_schema(engine: Engine, *, on_backup: Callable[[Path], None] | None = None) -> str:
    """Create or upgrade the schema to HEAD; refuse a database from a newer certprep."""
    rev = current_revision(engine)
    if rev == HEAD:
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
                engine, path.with_name(f"{path.stem}.before-{HEAD}-{stamp}{path.suffix}")
            )
            if on_backup:
                on_backup(copy)
    upgrade(engine)
    return HEAD
