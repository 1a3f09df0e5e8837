"""Database errors said the way a person can act on them."""

from __future__ import annotations


def database_message(exc: Exception) -> str:
    text = str(getattr(exc, "orig", exc))
    if "disk is full" in text or "disk I/O" in text:
        return "the disk is full or failing; free some space and try again (nothing was saved)."
    if "readonly" in text or "read-only" in text:
        return "the database file is read-only; check its permissions or pass --db."
    if "unable to open" in text:
        return "cannot open the database file; check the path given with --db."
    if "locked" in text:
        return "another certprep is holding the database; try again in a moment."
    return text
