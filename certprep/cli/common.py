"""What every command shares: the Typer apps, the profile/database state, errors as messages."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

from certprep import __version__

if TYPE_CHECKING:
    from certprep.services import Services

T = TypeVar("T")
EXIT_BAD_INPUT = 2
EXIT_NOT_AVAILABLE = 3

app = typer.Typer(
    name="certprep",
    help="Timed mock exams and FSRS spaced repetition for the CPC, CPB and CCS exams.",
    no_args_is_help=False,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
banks_app = typer.Typer(help="List, check, remove and build question banks.", no_args_is_help=True)
db_app = typer.Typer(
    help="Where the database is; upgrade, back up and restore it.", no_args_is_help=True
)
app.add_typer(banks_app, name="banks")
app.add_typer(db_app, name="db")


class State:
    db: str | None = None
    profile: str = "default"
    _services: Services | None = None

    def services(self, *, load_banks: bool = True) -> Services:
        """Open the database (and load the shipped banks the first time), or exit with a message."""
        if self._services is None:
            from certprep.services import open_services

            self._services = guard(lambda: open_services(self.db, self.profile))
            if load_banks:
                services = self._services
                guard(lambda: load_banks_with_progress(services))
        return self._services


state = State()


def say(text: str, *, err: bool = False) -> None:
    """Print a line that may hold user text (bank text, file contents, names): never controls."""
    from certprep.core.text import terminal_safe

    typer.echo(terminal_safe(text), err=err)


def err(message: str) -> None:
    say(message, err=True)  # messages quote files and names: no terminal controls in them


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    err(message)
    raise typer.Exit(code)


def not_available(feature: str) -> NoReturn:
    fail(f"certprep: {feature} is not available yet in this version.", EXIT_NOT_AVAILABLE)


def guard(fn: Callable[[], T]) -> T:
    """Run fn; turn bad input and unusable databases into messages with exit code 2."""
    import sqlite3

    from sqlalchemy.exc import DBAPIError, OperationalError

    from certprep.core.problems import InputError
    from certprep.store.files import is_corruption, restore_hint
    from certprep.store.migrate import SchemaError

    try:
        return fn()
    except InputError as exc:
        fail(exc.render())
    except SchemaError as exc:
        fail(f"certprep: {exc}")
    except (DBAPIError, sqlite3.DatabaseError) as exc:
        if is_corruption(exc):
            from certprep.services.settings import resolve_db

            where = shown_db(resolve_db(state.db))
            fail(
                f"certprep: the database {where} is damaged ({getattr(exc, 'orig', exc)}). "
                + restore_hint(where)
            )
        if not isinstance(exc, DBAPIError):
            raise
        from certprep.services.errors import database_message, is_known_database_error

        if not isinstance(exc, OperationalError) and not is_known_database_error(exc):
            raise
        fail(f"certprep: the database cannot be used: {database_message(exc)}")


def shown_db(url: str) -> str:
    """A database for people to read: the path of a SQLite file, else the URL without its
    password (a password never goes to the terminal, a log or a command line)."""
    if url.startswith("sqlite:///"):
        return url.removeprefix("sqlite:///")
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy can parse: say nothing of its contents
        return "(the --db URL)"


def load_banks_with_progress(services: Services) -> None:
    pending = services.pending_bundled_banks()
    if not pending:
        return
    if sys.stderr.isatty():
        from rich.progress import Progress

        with Progress(transient=True, console=_stderr_console()) as bar:
            task = bar.add_task("Loading the bundled question banks", total=len(pending))
            services.load_bundled_banks(lambda done, total, name: bar.update(task, completed=done))
    else:
        services.load_bundled_banks()


def _import_with_progress(services: Services, paths: list[Path], **kw: Any) -> list[Any]:
    from certprep.services.imports import import_files

    if not sys.stderr.isatty():
        return import_files(services, paths, **kw)
    from rich.progress import Progress

    with Progress(transient=True, console=_stderr_console()) as bar:
        task = bar.add_task("Importing", total=None)
        return import_files(
            services, paths, progress=lambda d, t: bar.update(task, completed=d, total=t), **kw
        )


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


def version_callback(value: bool) -> None:
    if value:
        typer.echo(f"certprep {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def main_callback(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="CERTPREP_DB",
            help="Database: a file path (SQLite) or an SQLAlchemy URL.",
        ),
    ] = None,
    profile: Annotated[str, typer.Option("--profile", help="Learner profile.")] = "default",
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=version_callback, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """certprep: practise for medical coding exams in the terminal."""
    state.db = db
    state.profile = profile
    state._services = None
    if ctx.invoked_subcommand is None:
        run_tui()


def run_tui(start: str = "home", **options: object) -> None:
    if start == "home" and state._services is None:
        from certprep.cli.launch import run_home

        # the home screen paints first; the database opens in its worker (launch.run_home)
        code = run_home(state.db, state.profile)
    else:
        from certprep.tui.app import make_app

        app = make_app(state.services(load_banks=False), start=start, options=options)
        app.run()
        code = int(app.return_code or 0)
    if code:
        raise typer.Exit(code)
