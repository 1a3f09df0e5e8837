"""Importing bank files: parse → validate → dedupe → one transaction per file, all files or none.

Every file is read and validated before anything is written; a problem in any file means
nothing is written at all. One native JSON file is read, validated and written a batch at a
time in one transaction (``import_stream``): any problem rolls it all back, so it too is
written whole or not at all, in bounded memory at any size.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from certprep.banks.importer import ImportSummary, OnDuplicate, checksum_bytes, import_bank_into
from certprep.core.models import Bank, Blueprint
from certprep.core.problems import InputError, Problem
from certprep.core.scheduling import CardState, Rating, review
from certprep.services.import_stream import exam_problems, section_problems
from certprep.store.engine import writing
from certprep.store.tables import CARD, ITEM_EXAM, REVIEW_LOG

if TYPE_CHECKING:
    from certprep.services.services import Services

# exports moved to services/exports.py; these names stay importable from here
from certprep.services.exports import bank_from_store as bank_from_store
from certprep.services.exports import export_bank as export_bank
from certprep.services.exports import (
    export_bank_with_warnings as export_bank_with_warnings,
)

Progress = Callable[[int, int], None]


@dataclass
class ReadFile:
    """One file read and validated, ready to write."""

    path: Path
    fmt: str
    bank: Bank
    history: list[Any] = field(default_factory=list)  # formats.CardHistory from Anki decks
    warnings: list[Problem] = field(default_factory=list)
    checksum: str = ""
    derived: set[str] = field(default_factory=set)  # ids derived from content (no id in file)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Bulk loads build many small objects; the cyclic GC would rescan them over and over."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def read_file(
    path: Path,
    fmt: str = "auto",
    *,
    bank_name: str | None = None,
    exam: str | None = None,
    section: str | None = None,
    mapping: dict[str, str] | None = None,
    encoding: str | None = None,
) -> ReadFile:
    """Read any supported format into a validated Bank (raises InputError with every problem)."""
    if not path.exists():
        raise InputError(f"no such file: {path}", str(path))
    if path.is_dir():
        raise InputError("is a folder; give the bank files inside it", str(path))
    from certprep.banks.formats import read_bank_bytes
    from certprep.banks.formats._common import MAX_FILE_BYTES

    try:
        if path.stat().st_size > MAX_FILE_BYTES:  # refuse before reading it into memory
            raise InputError(
                f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; a bank of any "
                "size imports as native JSON on its own (`certprep export --format json` "
                "writes one)",
                str(path),
            )
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", str(path)) from None
    with gc_paused():
        res = read_bank_bytes(
            data,
            path,
            fmt,
            bank_name=bank_name,
            exam=exam,
            section=section,
            mapping=mapping,
            encoding=encoding,
        )
    rf = ReadFile(path, res.fmt, res.bank, list(res.history), list(res.warnings))
    rf.checksum = checksum_bytes(data)
    rf.derived = set(res.derived)
    return rf


def check_sections(rf: ReadFile, blueprints: dict[str, Blueprint]) -> list[Problem]:
    """Items whose section is not one of their exam's blueprint sections (they would never be drawn)."""
    return section_problems(rf.bank.items, str(rf.path), blueprints)


def known_exams(services: Services) -> list[str]:
    """Exam keys an import may name: the blueprints', the learner's own deck, and any exam
    items in the database are already filed under."""
    from certprep.banks.formats._common import OWN_EXAM

    with services.engine.connect() as conn:
        stored = {r[0] for r in conn.execute(sa.select(ITEM_EXAM.c.exam).distinct())}
    return sorted(set(services.blueprints()) | {OWN_EXAM} | stored)


def check_exams(rf: ReadFile, known: list[str]) -> list[Problem]:
    """Items filed under an exam nobody knows (a typo would make a phantom exam)."""
    return exam_problems(rf.bank.items, str(rf.path), known, {})


def merge_files(files: list[ReadFile]) -> tuple[list[ReadFile], list[Problem]]:
    """Files that fill the same bank become one bank (one import), their ids kept apart."""
    groups: dict[str, list[ReadFile]] = {}
    for rf in files:
        groups.setdefault(rf.bank.name, []).append(rf)
    out: list[ReadFile] = []
    problems: list[Problem] = []
    for group in groups.values():
        if len(group) == 1:
            out.append(group[0])
            continue
        first_of: dict[str, str] = {}
        items = []
        cases = []
        case_of: dict[str, str] = {}
        for rf in group:
            for item in rf.bank.items:
                if item.id in first_of:
                    problems.append(
                        Problem(
                            str(rf.path),
                            f"item id {item.id!r} is also in {first_of[item.id]}; files imported "
                            "into one bank need different ids",
                            record=f"item {item.id}",
                        )
                    )
                    continue
                first_of[item.id] = rf.path.name
                items.append(item)
            for case in rf.bank.cases:
                if case.id in case_of:
                    problems.append(
                        Problem(
                            str(rf.path),
                            f"case id {case.id!r} is also in {case_of[case.id]}",
                            record=f"case {case.id}",
                        )
                    )
                    continue
                case_of[case.id] = rf.path.name
                cases.append(case)
        head = group[0]
        names = ", ".join(rf.path.name for rf in group)
        bank = head.bank.model_copy(
            update={"items": items, "cases": cases, "source": f"Imported from {names}"}
        )
        merged = ReadFile(
            head.path,
            head.fmt,
            bank,
            [h for rf in group for h in rf.history],
            [w for rf in group for w in rf.warnings],
            checksum_bytes("".join(rf.checksum for rf in group).encode()),
            {i for rf in group for i in rf.derived},
        )
        out.append(merged)
    return out, problems


def import_files(
    services: Services,
    paths: list[Path],
    *,
    fmt: str = "auto",
    bank_name: str | None = None,
    exam: str | None = None,
    section: str | None = None,
    mapping: dict[str, str] | None = None,
    dry_run: bool = False,
    on_duplicate: OnDuplicate = "skip",
    with_history: bool = False,
    progress: Progress | None = None,
    encoding: str | None = None,
    reassign: bool = False,
) -> list[ImportSummary]:
    """Import files; all are validated first, and if any has a problem nothing is written.

    Files that fill the same bank (``--bank NAME`` with several files) are one bank. Everything
    is written in one transaction: all files or none. Items already in a bank keep the exam and
    section they are filed under unless ``reassign`` (or the file is a native bank).
    """
    from certprep.banks.formats._common import key_slug

    known = known_exams(services)
    if exam is not None and exam.strip() and key_slug(exam) not in known:
        raise InputError(f"unknown exam {exam!r} (--exam); expected one of: {', '.join(known)}")
    read: list[ReadFile] = []
    problems: list[Problem] = []
    blueprints = services.blueprints()
    if len(paths) == 1 and not (bank_name or exam or section or mapping or encoding):
        from certprep.services.import_stream import ReadWhole, import_streamed, streamable

        if streamable(paths[0], fmt):  # a native JSON bank: read, checked and written as it streams
            try:
                return [
                    import_streamed(services, paths[0], known, dry_run=dry_run, progress=progress)
                ]
            except ReadWhole:
                pass  # read whole below, its problems reported as every file's are
    for path in paths:
        try:
            rf = read_file(
                path,
                fmt,
                bank_name=bank_name,
                exam=exam,
                section=section,
                mapping=mapping,
                encoding=encoding,
            )
        except InputError as exc:
            problems += exc.problems
            continue
        if bank_name is None:
            rf = into_bank_holding_it(services, rf, exam, section, mapping, encoding)
        problems += check_exams(rf, known)
        problems += check_sections(rf, blueprints)
        read.append(rf)
    read, merge_problems = merge_files(read)
    problems += merge_problems
    if problems:
        raise InputError(problems)
    out = []
    ctx = history_context(services) if with_history and not dry_run else None
    with gc_paused(), writing(services.engine, importing=True) as conn:
        for rf in read:
            summary = import_bank_into(
                conn,
                rf.bank,
                checksum=rf.checksum,
                on_duplicate=on_duplicate,
                dry_run=dry_run,
                progress=progress,
                source=str(rf.path),
                # a native bank file is its author's word on exams; other formats are placed
                # by the importer, and a learner's later placement stays
                reassign=reassign or rf.fmt == "native",
                derived=rf.derived,
            )
            summary.warnings = rf.warnings + summary.warnings
            if with_history and rf.history and not dry_run:
                n = carry_history(services, rf.history, conn, ctx, summary.keys)
                summary.warnings.append(
                    Problem(str(rf.path), f"review history carried over for {n} cards")
                )
            out.append(summary)
    return out


def into_bank_holding_it(
    services: Services,
    rf: ReadFile,
    exam: str | None,
    section: str | None,
    mapping: dict[str, str] | None,
    encoding: str | None,
) -> ReadFile:
    """A file read without ``--bank`` whose questions are an imported bank's (the same file
    under another name) goes into that bank, saying so, instead of doubling every question.
    Native banks name themselves and Anki decks are named after the deck: they stay as read."""
    from certprep.banks.identity import bank_holding

    if rf.fmt in ("native", "apkg"):
        return rf

    with services.engine.connect() as conn:
        name = bank_holding(conn, rf.bank)
    if name is None:
        return rf
    again = read_file(
        rf.path,
        rf.fmt,
        bank_name=name,
        exam=exam,
        section=section,
        mapping=mapping,
        encoding=encoding,
    )
    again.warnings.insert(
        0,
        Problem(
            str(rf.path),
            f"its questions are those of bank {name!r} (imported before, under another file "
            f"name): imported into {name!r}. Pass --bank NAME for a bank of its own",
        ),
    )
    return again


@dataclass
class HistoryContext:
    """What replaying a review log needs, read before the import's write transaction begins."""

    settings: Any
    scheduler: Any
    learner_id: int


def history_context(services: Services) -> HistoryContext:
    from certprep.services.review import settings_for

    settings = settings_for(services, None)
    return HistoryContext(settings, settings.scheduler(), services.learner_id)


def carry_history(
    services: Services,
    history: list[Any],
    conn: Connection | None = None,
    ctx: HistoryContext | None = None,
    keys: dict[str, str] | None = None,
) -> int:
    """Replay an Anki deck's review log through FSRS: card states and log rows (source=import).

    Written in ``conn``'s transaction when given (the import's own), else in a new one.
    ``keys`` maps the deck's ids to database keys where they differ (the import's summary).
    """
    ctx = ctx or history_context(services)
    keys = keys or {}
    if conn is None:
        with writing(services.engine) as own:
            return carry_history(services, history, own, ctx, keys)
    settings, scheduler, lid = ctx.settings, ctx.scheduler, ctx.learner_id
    studied = {
        r.item_id for r in conn.execute(sa.select(CARD.c.item_id).where(CARD.c.learner_id == lid))
    }
    cards, logs = [], []
    for h in history:
        item_id = keys.get(h.item_id, h.item_id)
        if item_id in studied:  # never overwrite what the learner studied here
            continue
        reviews: list[tuple[datetime, int, int]] = sorted(h.reviews)
        marks = {m: m in h.marks for m in ("suspended", "flagged", "marked")}
        if not reviews:
            if any(marks.values()):  # set in Anki before it was ever studied: a new card
                cards.append({**_NEW_CARD, **marks, "learner_id": lid, "item_id": item_id})
            continue
        state = CardState()
        for when, rating, duration in reviews:
            logs.append(
                {
                    "learner_id": lid,
                    "item_id": item_id,
                    "rating": rating,
                    "reviewed_at": when,
                    "duration_ms": duration,
                    "source": "import",
                    "state_before": state.state,
                }
            )
            state = review(state, Rating(rating), when, settings, scheduler=scheduler)
        cards.append(
            {
                "learner_id": lid,
                "item_id": item_id,
                "state": state.state,
                "step": state.step,
                "stability": state.stability,
                "difficulty": state.difficulty,
                "due": state.due,
                "last_review": state.last_review,
                "reps": state.reps,
                "lapses": state.lapses,
                "introduced_at": reviews[0][0],
                **marks,
            }
        )
    if not cards:
        return 0
    conn.execute(sa.insert(CARD), cards)
    if logs:
        conn.execute(sa.insert(REVIEW_LOG), logs)
    return sum(1 for card in cards if card["reps"])


# a card row for an item set (suspended, flagged, marked) before it was ever studied
_NEW_CARD = {**CardState().to_dict(), "introduced_at": None}
