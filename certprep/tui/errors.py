"""Errors a person can act on, worded for them (tracebacks are for bugs)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def describe_open_error(exc: BaseException) -> str | None:
    """A message for a database that cannot be opened, or None when it is a bug."""
    from sqlalchemy.exc import OperationalError

    from certprep.core.problems import InputError
    from certprep.store.migrate import SchemaError

    if isinstance(exc, InputError):
        return exc.render()
    from certprep.store.files import is_corruption

    if is_corruption(exc):  # damaged mid-session: say so, never a traceback
        return (
            f"certprep: the database is damaged ({getattr(exc, 'orig', exc)}). Quit, then "
            "`certprep db restore BACKUP` puts a backup back."
        )
    if isinstance(exc, SchemaError):
        return f"certprep: {exc}"
    from certprep.services.errors import database_message, is_known_database_error

    if isinstance(exc, OperationalError) or is_known_database_error(exc):
        return f"certprep: the database cannot be used: {database_message(exc)}"
    return None


def safely(method: Callable[..., T]) -> Callable[..., T | None]:
    """For screen actions that write: a database that cannot be written (disk full, read-only,
    locked) becomes a notification saying nothing was saved, not a crash."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> T | None:
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:
            message = describe_open_error(exc)
            if message is None:
                raise
            self.notify(f"{message}\nNothing was saved.", severity="error", timeout=10)
            return None

    return wrapper
