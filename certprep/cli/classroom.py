"""`certprep classroom …`: the instructor sets up a PostgreSQL database where each student has
their own login and the database itself keeps them apart (run as the owner of the tables)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from certprep.cli.common import app, fail, guard, load_banks_with_progress, state

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

classroom_app = typer.Typer(
    help="A classroom on PostgreSQL: one login per student, kept apart by the database.",
    no_args_is_help=True,
)
app.add_typer(classroom_app, name="classroom")


def _engine() -> Engine:
    services = state.services(load_banks=False)
    if services.engine.dialect.name != "postgresql":
        fail(
            "certprep: a classroom needs a PostgreSQL database (--db postgresql://user@host/db); "
            "a SQLite file has no logins to keep students apart"
        )
    return services.engine


@classroom_app.command("init")
def classroom_init() -> None:
    """Create the classroom's roles, grants and row security (idempotent); load the banks."""
    from certprep.services.classroom import init

    engine = _engine()
    groups = guard(lambda: init(engine))
    services = state.services(load_banks=False)
    guard(lambda: load_banks_with_progress(services))  # the shipped banks now: students cannot
    typer.echo(f"classroom ready: students are members of {groups.student!r}")
    typer.echo("add each student with `certprep classroom add-student NAME`")


def _add(name: str, pgpass: bool, instructor: bool) -> None:
    from certprep.services.classroom import add_login

    engine = _engine()
    login = guard(lambda: add_login(engine, name, instructor=instructor))
    who = "instructor" if instructor else "student"
    typer.echo(f"added {who} {login.name!r}; give them this, privately:", err=True)
    typer.echo(login.pgpass if pgpass else login.url)


@classroom_app.command("add-student")
def classroom_add_student(
    name: Annotated[str, typer.Argument(help="The student's login (and profile) name.")],
    pgpass: Annotated[
        bool, typer.Option("--pgpass", help="Print a ~/.pgpass line instead of a URL.")
    ] = False,
) -> None:
    """Create a student's login with a random password; print their connection URL."""
    _add(name, pgpass, instructor=False)


@classroom_app.command("add-instructor")
def classroom_add_instructor(
    name: Annotated[str, typer.Argument(help="The login name.")],
    pgpass: Annotated[
        bool, typer.Option("--pgpass", help="Print a ~/.pgpass line instead of a URL.")
    ] = False,
) -> None:
    """Create a login that reads every student's work and manages banks."""
    _add(name, pgpass, instructor=True)


@classroom_app.command("remove-student")
def classroom_remove_student(
    name: str,
    keep_work: Annotated[
        bool, typer.Option("--keep-work", help="Keep their reviews and exams in the database.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask.")] = False,
) -> None:
    """Drop a student's login and (unless --keep-work) everything they did."""
    from certprep.services.classroom import remove_login

    engine = _engine()
    what = "their login" if keep_work else "their login and all their reviews and exams"
    if not yes and not typer.confirm(f"Remove {name!r}: {what}?"):
        raise typer.Exit(1)
    deleted = guard(lambda: remove_login(engine, name, keep_work=keep_work))
    typer.echo(f"removed {name!r}" + (" and their work" if deleted else ""))


@classroom_app.command("list")
def classroom_list() -> None:
    """The classroom's logins with their reviews and exam attempts."""
    from certprep.services.classroom import members

    engine = _engine()
    rows = guard(lambda: members(engine))
    if not rows:
        typer.echo("no students yet; add one with `certprep classroom add-student NAME`")
        return
    from certprep.core.text import visible

    names = [visible(m.name) for m in rows]  # a login name is user text: no terminal control
    width = max(len(n) for n in names)
    for name, m in zip(names, rows, strict=True):
        work = f"{m.reviews} reviews, {m.attempts} exams" if m.has_learner else "not started"
        typer.echo(f"{name.ljust(width)}  {m.role:<10}  {work}")
