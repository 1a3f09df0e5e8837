"""`certprep db …`: where the database is, upgrade, backup, restore."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from certprep.cli.common import (
    db_app,
    fail,
    guard,
    shown_db,
    state,
)


def _sqlite_file(what: str) -> Path:
    from certprep.services.settings import resolve_db

    url = resolve_db(state.db)
    if not url.startswith("sqlite:///"):
        fail(
            f"certprep db {what} works on SQLite files; back up a database server with its own "
            "tools (pg_dump, pg_restore)"
        )
    return Path(url.removeprefix("sqlite:///"))


# -- db ------------------------------------------------------------------------------------
@db_app.command("path")
def db_path() -> None:
    """Print where the database is (without opening it; a URL's password is not shown)."""
    from certprep.services.settings import resolve_db

    typer.echo(shown_db(resolve_db(state.db)))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database to this version's schema (done automatically on open, too)."""
    from certprep.store.engine import sqlite_path
    from certprep.store.files import DatabaseFileError, check_integrity
    from certprep.store.migrate import HEAD

    services = state.services(load_banks=False)
    path = sqlite_path(services.engine)
    if path is not None:
        try:
            check_integrity(path)
        except DatabaseFileError as exc:
            fail(f"certprep: {exc}")
    typer.echo(f"database at schema {HEAD}")


@db_app.command("backup")
def db_backup(dest: Annotated[Path, typer.Argument(help="Where to write the copy.")]) -> None:
    """A consistent, integrity-checked copy of the database (0600), safe while certprep runs.

    A damaged database is refused: no copy is written that only looks fine."""
    from certprep.store.files import DatabaseFileError, copy_database

    src = _sqlite_file("backup")
    try:
        out = guard(lambda: copy_database(src, dest))
    except DatabaseFileError as exc:
        fail(f"certprep: {exc}")
    except OSError as exc:
        fail(f"certprep: cannot write {dest}: {exc.strerror or exc}")
    typer.echo(f"backed up to {out} (integrity checked)")


@db_app.command("restore")
def db_restore(
    backup: Annotated[Path, typer.Argument(help="A backup made by `certprep db backup`.")],
) -> None:
    """Put a backup back in place of the database (close every certprep first).

    The backup is checked (a certprep database, whole) and copied; the database it replaces is
    kept beside it as NAME.replaced-DATE.db."""
    from certprep.store.files import DatabaseFileError, restore_database

    target = _sqlite_file("restore")
    try:
        _, moved = guard(lambda: restore_database(backup, target))
    except DatabaseFileError as exc:
        fail(f"certprep: {exc}")
    except OSError as exc:
        fail(f"certprep: cannot restore to {target}: {exc.strerror or exc}")
    if moved is not None:
        typer.echo(f"the database it replaced is kept as {moved}")
    typer.echo(f"restored {backup} to {target} (integrity checked)")
