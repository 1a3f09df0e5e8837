"""Starting the TUI's home screen, without the command-line parser.

A plain ``certprep`` (with at most ``--db`` and ``--profile``) is the most common start and the
one a learner waits on: ``certprep.cli.main`` sends it here before importing Typer (whose option
parsing builds pydantic adapters: about 100 ms) or any command module. Everything else goes
through the Typer app as before.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

GLOBAL_OPTIONS = ("--db", "--profile")


def home_options(argv: Sequence[str]) -> dict[str, str] | None:
    """``{"--db": …, "--profile": …}`` when ``argv`` holds only those options (each with its
    value, as ``--db X`` or ``--db=X``); None for anything else (a command, --help, --version,
    an unknown or incomplete option), which the Typer app then parses and explains."""
    out: dict[str, str] = {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        name, eq, value = arg.partition("=")
        if name not in GLOBAL_OPTIONS or name in out:
            return None
        if eq:
            out[name] = value
            i += 1
        elif i + 1 < len(argv) and not argv[i + 1].startswith("-"):
            out[name] = argv[i + 1]
            i += 2
        else:
            return None
    return out


def run_home(db: str | None, profile: str) -> int:
    """Paint the home screen first; the database layer (SQLAlchemy, SQLModel, pydantic) is
    imported, and the database opened and migrated, in the home screen's worker. Returns the
    app's exit code."""
    from certprep.tui.app import make_app

    def open_db():  # type: ignore[no-untyped-def]
        from certprep.services import open_services

        return open_services(db, profile)

    app = make_app(open_db, profile=profile, start="home", options={})
    app.run()
    return int(app.return_code or 0)


def home_from_argv(argv: Sequence[str]) -> int | None:
    """Run the home screen for a plain ``certprep [--db X] [--profile Y]``; None otherwise.
    ``--db`` falls back to ``$CERTPREP_DB`` (an empty value counts as unset), as in the app."""
    opts = home_options(argv)
    if opts is None:
        return None
    db = opts.get("--db") or os.environ.get("CERTPREP_DB") or None
    return run_home(db, opts.get("--profile", "default"))
