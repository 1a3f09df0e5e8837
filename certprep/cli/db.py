"""`certprep db …`: where the database is, upgrade, backup."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from certprep.cli.common import (
    db_app,
    guard,
    state,
)


# -- db ------------------------------------------------------------------------------------
@db_app.command("path")
def db_path() -> None:
    """Print where the database is (without opening it)."""
    from certprep.services.settings import resolve_db

    url = resolve_db(state.db)
    typer.echo(url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else url)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database to this version's schema (done automatically on open, too)."""
    from certprep.store.migrate import HEAD

    state.services(load_banks=False)
    typer.echo(f"database at schema {HEAD}")


@db_app.command("backup")
def db_backup(dest: Annotated[Path, typer.Argument(help="Where to write the copy.")]) -> None:
    """A consistent copy of the database (SQLite backup API), safe while certprep runs."""
    from certprep.store.migrate import backup_sqlite

    services = state.services(load_banks=False)
    out = guard(lambda: backup_sqlite(services.engine, dest))
    typer.echo(f"backed up to {out}")
