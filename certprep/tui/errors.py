"""Errors a person can act on, worded for them (tracebacks are for bugs)."""

from __future__ import annotations


def describe_open_error(exc: BaseException) -> str | None:
    """A message for a database that cannot be opened, or None when it is a bug."""
    from sqlalchemy.exc import OperationalError

    from certprep.core.problems import InputError
    from certprep.store.migrate import SchemaError

    if isinstance(exc, InputError):
        return exc.render()
    if isinstance(exc, SchemaError):
        return f"certprep: {exc}"
    if isinstance(exc, OperationalError):
        from certprep.services.errors import database_message

        return f"certprep: the database cannot be used: {database_message(exc)}"
    return None
