"""Database errors said the way a person can act on them."""

from __future__ import annotations


def database_message(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", exc))
    # PostgreSQL (psycopg) says these in its own words
    if "No space left on device" in text:
        text = "disk is full"
    elif "read-only transaction" in text:
        return "the database server accepts no writes now (read-only); nothing was saved."
    elif "lock timeout" in text:
        text = "locked"
    elif "permission denied" in text or "violates row-level security" in text:
        return (
            "the database refused this login (permission denied): on a classroom database a "
            "student changes only their own work; banks and the schema are the instructor's"
        )
    elif "password authentication failed" in text:
        return f"the database server refused the login; check the user and password in the --db URL ({text})"
    elif "connection failed" in text or "could not connect" in text:
        return f"cannot reach the database server; check the --db URL and that it runs ({text})"
    if "disk is full" in text or "disk I/O" in text:
        return "the disk is full or failing; free some space and try again (nothing was saved)."
    if "readonly" in text or "read-only" in text:
        return "the database file is read-only; check its permissions or pass --db."
    if "unable to open" in text:
        return "cannot open the database file; check the path given with --db."
    if "locked" in text:
        return "another certprep is holding the database; try again in a moment."
    return text


KNOWN = (
    "disk is full",
    "disk I/O",
    "No space left on device",
    "read-only",
    "readonly",
    "lock timeout",
    "locked",
    "password authentication failed",
    "permission denied",
    "violates row-level security",
    "connection failed",
    "could not connect",
    "unable to open",
)


def is_known_database_error(exc: BaseException) -> bool:
    """A database refusal a person can act on (full, read-only, locked, unreachable), not a bug."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    if isinstance(exc, OperationalError):
        return True
    return isinstance(exc, DBAPIError) and any(k in str(exc.orig) for k in KNOWN)
