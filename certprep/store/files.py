"""The SQLite file itself: is it certprep's and whole, backups that are checked, restore.

A certprep database carries ``PRAGMA application_id`` = APPLICATION_ID. Before any connection
that could write (the engine turns on WAL when it connects), the file is looked at read-only:
an empty, truncated or non-SQLite file, or another application's database, is refused with a
message and left exactly as it was. New database and backup files are readable by their owner
only (0600; SQLite gives the -wal and -shm files the database file's mode).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path

# "cert" in ASCII, as for the PostgreSQL writer lock
APPLICATION_ID = 0x63657274
HEADER = b"SQLite format 3\x00"
# tables every certprep schema has had since 0001
CERTPREP_TABLES = frozenset({"alembic_version", "bank", "item", "learner", "card", "review_log"})
CORRUPT_MARKERS = (
    "file is not a database",
    "database disk image is malformed",
    "file is encrypted",
    "malformed database schema",
)


class DatabaseFileError(Exception):
    """The SQLite file cannot be used as it is (empty, damaged, truncated, not certprep's)."""


def restore_hint(path: Path | str) -> str:
    return (
        f"Nothing was changed. If you have a backup (from `certprep db backup FILE`, or the "
        f"automatic *.before-* copy made before an upgrade), put it back with "
        f"`certprep db restore BACKUP` (with --db {path} if that is not your default database)."
    )


def is_corruption(exc: BaseException) -> bool:
    """Whether a database error says the file is damaged or not a database."""
    text = str(getattr(exc, "orig", exc))
    return any(m in text for m in CORRUPT_MARKERS)


class FileState(Enum):
    MISSING = "missing"  # no file yet: certprep makes one
    EMPTY_DB = "empty"  # an SQLite database without tables: certprep may use it
    OURS = "ours"  # marked with our application_id
    OURS_UNMARKED = "unmarked"  # certprep's tables from before the mark existed


def _header_problem(path: Path) -> str | None:
    size = path.stat().st_size
    if size == 0:
        return (
            "is empty (0 bytes): it was truncated, or is not a certprep database; certprep will "
            "not start a new one over it (delete it yourself to start afresh)"
        )
    with path.open("rb") as fh:
        header = fh.read(100)
    if not header.startswith(HEADER):
        return "is not an SQLite database (or its first page is damaged)"
    if len(header) < 100:
        return f"is truncated ({size} bytes, less than one database page)"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    valid = header[92:96] == header[24:28]
    wal = path.with_name(path.name + "-wal")
    has_wal = wal.exists() and wal.stat().st_size > 0
    if valid and pages and not has_wal and size < pages * page_size:
        return f"is truncated: {size:,} bytes where its header says {pages * page_size:,}"
    return None


def inspect_sqlite_file(path: Path) -> FileState:
    """Look at a database file without changing a byte; raise DatabaseFileError if unusable."""
    if not path.exists():
        return FileState.MISSING
    if path.is_dir():
        raise DatabaseFileError(f"{path} is a folder, not a database file; pass --db FILE")
    for _ in range(40):  # another certprep may have just created it and be writing its header
        if path.stat().st_size:
            break
        time.sleep(0.05)
    problem = _header_problem(path)
    if problem:
        raise DatabaseFileError(f"the database file {path} {problem}. {restore_hint(path)}")
    app_id = int.from_bytes(_read(path, 68, 4), "big")
    if app_id == APPLICATION_ID:
        return FileState.OURS
    if app_id != 0:
        raise _foreign(path, f"its application id is {app_id:#x}")
    # not marked in the file header: ask SQLite (the mark may still be in the WAL)
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
        try:
            app_id = con.execute("PRAGMA application_id").fetchone()[0]
            tables = {
                r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        if is_corruption(exc):
            raise DatabaseFileError(
                f"the database file {path} is damaged ({exc}). {restore_hint(path)}"
            ) from None
        raise
    if app_id == APPLICATION_ID:
        return FileState.OURS
    if app_id != 0:
        raise _foreign(path, f"its application id is {app_id:#x}")
    if not tables:
        return FileState.EMPTY_DB
    if tables >= CERTPREP_TABLES:
        return FileState.OURS_UNMARKED
    raise _foreign(path, "it holds tables that are not certprep's")


def _read(path: Path, offset: int, n: int) -> bytes:
    with path.open("rb") as fh:
        fh.seek(offset)
        return fh.read(n)


def _foreign(path: Path, why: str) -> DatabaseFileError:
    return DatabaseFileError(
        f"{path} is another application's database ({why}); certprep leaves it alone. "
        "Pass --db with a new file name, or the path of your certprep database."
    )


@contextmanager
def owner_only() -> Iterator[None]:
    """Files created inside are readable and writable by their owner only (umask 077)."""
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def integrity_problems(con: sqlite3.Connection, *, quick: bool = False) -> list[str]:
    """What SQLite's integrity check finds wrong (empty when the database is whole)."""
    pragma = "quick_check" if quick else "integrity_check"
    try:
        rows = [r[0] for r in con.execute(f"PRAGMA {pragma}(20)")]
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    return [] if rows == ["ok"] else rows


def _summary(problems: list[str]) -> str:
    lines = [ln for p in problems for ln in p.splitlines() if not ln.startswith("***")]
    more = f" (and {len(lines) - 3} more)" if len(lines) > 3 else ""
    return "; ".join(lines[:3]) + more


def check_integrity(path: Path, *, quick: bool = True) -> None:
    """Raise DatabaseFileError when SQLite's integrity check finds the database damaged."""
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
        try:
            problems = integrity_problems(con, quick=quick)
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        problems = [str(exc)]
    if problems:
        raise DatabaseFileError(
            f"the database {path} is damaged: {_summary(problems)}. {restore_hint(path)}"
        )


def copy_database(src_path: Path, dest: Path, *, quick: bool = False) -> Path:
    """A checked, consistent copy of an SQLite file through the backup API (safe while others
    write); the copy is 0600 and gets its final name only when it is whole and checked."""
    if not src_path.exists():
        raise DatabaseFileError(f"there is no database at {src_path} to copy")
    problem = _header_problem(src_path)
    if problem:
        raise DatabaseFileError(f"the database file {src_path} {problem}; no copy was written")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    tmp.unlink(missing_ok=True)
    try:
        with owner_only():
            src = sqlite3.connect(f"{src_path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
            try:
                out = sqlite3.connect(tmp)
                try:
                    src.backup(out)
                    problems = integrity_problems(out, quick=quick)
                finally:
                    out.close()
            finally:
                src.close()
    except sqlite3.DatabaseError as exc:
        tmp.unlink(missing_ok=True)
        if is_corruption(exc):
            problems = [str(exc)]
        else:
            raise
    if problems:
        tmp.unlink(missing_ok=True)
        raise DatabaseFileError(
            f"the database {src_path} is damaged, so no backup was written to {dest}: "
            + _summary(problems)
            + ". Restore an older backup with `certprep db restore BACKUP`, or try SQLite's "
            "`sqlite3 FILE .recover` on a copy of it."
        )
    os.chmod(tmp, 0o600)
    tmp.replace(dest)  # all or nothing: a half-written backup never has the final name
    return dest


def restore_database(backup: Path, target: Path) -> tuple[Path, Path | None]:
    """Put a checked copy of ``backup`` in place of ``target``; the old file (with its -wal and
    -shm) is kept beside it as NAME.replaced-STAMP. Returns (target, where the old file went)."""
    if not backup.is_file():
        raise DatabaseFileError(f"there is no backup file at {backup}")
    state = inspect_sqlite_file(backup)
    if state not in (FileState.OURS, FileState.OURS_UNMARKED):
        raise DatabaseFileError(f"{backup} is not a certprep database; nothing was restored")
    if target.exists() and backup.resolve() == target.resolve():
        raise DatabaseFileError("the backup and the database are the same file")
    staged = target.with_name(target.name + ".restoring")
    copy_database(backup, staged)
    moved: Path | None = None
    if target.exists():
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        moved = target.with_name(f"{target.stem}.replaced-{stamp}{target.suffix}")
        target.replace(moved)
    for suffix in ("-wal", "-shm", "-journal"):
        side = target.with_name(target.name + suffix)
        if side.exists():
            if moved is not None:
                side.replace(moved.with_name(moved.name + suffix))
            else:
                side.unlink()
    shutil.move(str(staged), str(target))
    return target, moved
