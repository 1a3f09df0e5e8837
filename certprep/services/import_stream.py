"""A native JSON bank file imported as it is read: bounded memory at any size, all or nothing.

The file is validated and written a batch at a time inside one transaction; after the first
problem nothing more is written, every batch is still validated, and any problem rolls the
whole file back, reported as the whole-file reader reports it. A file the whole-file reader
may read (``MAX_FILE_BYTES``) that has a problem is read again that way, so its messages are
exactly those of every other import.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.engine import Connection

from certprep.banks.formats._common import MAX_FILE_BYTES
from certprep.banks.importer import BankWriter, ImportSummary
from certprep.banks.native_stream import Layout
from certprep.banks.native_worker import Feed, WorkerStopped
from certprep.core.models import Blueprint
from certprep.core.problems import InputError, Problem
from certprep.store.engine import writing

if TYPE_CHECKING:
    from collections.abc import Callable

    from certprep.services.services import Services


PAGE_CACHE_KIB = 256 * 1024  # SQLite's page cache while an import writes (default 2 MiB)


@contextmanager
def _page_cache(conn: Connection) -> Iterator[None]:
    """A large SQLite page cache for the import's transaction: its indexes (an item's five, its
    exams' three) take rows in an order of their own, and at a million items each insert would
    otherwise read index pages back from disk. Set back before the commit."""
    if conn.dialect.name != "sqlite":
        yield
        return
    old = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql(f"PRAGMA cache_size=-{PAGE_CACHE_KIB}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={int(old or -2000)}")


class ReadWhole(Exception):
    """The file is better read whole (it has a problem, or a layout the stream does not take)."""


def streamable(path: Path, fmt: str) -> bool:
    """A native bank in JSON: an object as the file's first character (UTF-8, BOM allowed)."""
    if fmt not in ("auto", "native") or not path.is_file():
        return False
    if path.suffix.lower() not in (".json", ".txt", "") and fmt == "auto":
        return False
    try:
        with path.open("rb") as fh:
            head = fh.read(64)
    except OSError:
        return False
    return head.removeprefix(b"\xef\xbb\xbf").lstrip()[:1] == b"{"


def import_streamed(
    services: Services,
    path: Path,
    known: list[str],
    *,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
    worker: bool | None = None,
) -> ImportSummary:
    """Import one native JSON bank file batch by batch in one transaction (see the module).

    Raises ``ReadWhole`` when the file should be read whole instead, ``InputError`` with every
    problem otherwise."""
    from certprep.services.imports import gc_paused

    whole = path.stat().st_size <= MAX_FILE_BYTES
    blueprints = services.blueprints()
    stream = Feed(path, worker=worker)
    source = str(path)
    try:
        with gc_paused(), writing(services.engine, importing=True) as conn, _page_cache(conn):
            header, cases = stream.open()
            writer = BankWriter(
                conn,
                header,
                cases,
                checksum="",
                dry_run=dry_run,
                progress=progress,
                source=source,
            )
            problems: list[Problem] = []
            unknown: dict[str, str] = {}
            for rows, found in stream.batches():
                found += exam_problems(rows, source, known, unknown)
                found += section_problems(rows, source, blueprints)
                problems += found
                if problems:
                    if whole:
                        raise ReadWhole
                    continue  # nothing more is written; the rest is still checked
                writer.total = round(stream.items_seen * stream.size / max(1, stream.read_bytes))
                writer.add_rows(rows)
            if problems:
                raise ReadWhole if whole else InputError(problems)
            return writer.finish(stream.checksum())
    except Layout as exc:
        if whole:
            raise ReadWhole from None
        raise InputError(
            f"{exc}: a bank file over {MAX_FILE_BYTES // (1024 * 1024)} MiB is read as it "
            "streams, so 'items' must be its last key (as `certprep export` writes it)",
            source,
        ) from None
    except InputError:
        if whole:
            raise ReadWhole from None
        raise
    except WorkerStopped:  # (rolled back) read in this process instead
        stream.close()
        return import_streamed(
            services, path, known, dry_run=dry_run, progress=progress, worker=False
        )
    finally:
        stream.close()


class Filed(Protocol):
    """An item, or a row prepared from one: what the exam and section checks read."""

    @property
    def id(self) -> str: ...
    @property
    def exams(self) -> list[str]: ...
    @property
    def section(self) -> str: ...


def section_problems(
    items: Sequence[Filed], source: str, blueprints: dict[str, Blueprint]
) -> list[Problem]:
    """``check_sections`` of some items of the file ``source``."""
    problems = []
    sections = {key: {s.key for s in bp.sections} for key, bp in blueprints.items()}
    for item in items:
        for exam in item.exams:
            known = sections.get(exam)
            if known is not None and item.section not in known:
                keys = ", ".join(s.key for s in blueprints[exam].sections)
                problems.append(
                    Problem(
                        source,
                        f"section {item.section!r} is not in the {exam} blueprint; "
                        f"expected one of: {keys}",
                        record=f"item {item.id}",
                    )
                )
    return problems


def exam_problems(
    items: Sequence[Filed], source: str, known: list[str], unknown: dict[str, str]
) -> list[Problem]:
    """``check_exams`` of some items of the file ``source``: one problem per unknown exam not
    already in ``unknown`` (exam -> the first item filed under it), which gains them."""
    found: dict[str, str] = {}
    for item in items:
        for exam in item.exams:
            if exam not in known and exam not in unknown:
                found.setdefault(exam, item.id)
    unknown.update(found)
    return [
        Problem(
            source,
            f"unknown exam {exam!r}; expected one of: {', '.join(known)}",
            record=f"item {item_id}",
        )
        for exam, item_id in found.items()
    ]
