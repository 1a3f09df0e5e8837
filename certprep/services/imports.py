"""Importing bank files: parse → validate → dedupe → one transaction per file, all files or none.

Every file is read and validated before anything is written; a problem in any file means
nothing is written at all.
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

from certprep.banks.importer import ImportSummary, OnDuplicate, checksum_bytes, import_bank
from certprep.core.models import Bank, Blueprint
from certprep.core.problems import InputError, Problem
from certprep.core.scheduling import CardState, Rating, review
from certprep.store.engine import writing
from certprep.store.tables import CARD, REVIEW_LOG

if TYPE_CHECKING:
    from certprep.services.services import Services

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
                f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB", str(path)
            )
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", str(path)) from None
    with gc_paused():
        res = read_bank_bytes(
            data, path, fmt, bank_name=bank_name, exam=exam, section=section, mapping=mapping
        )
    rf = ReadFile(path, res.fmt, res.bank, list(res.history), list(res.warnings))
    rf.checksum = checksum_bytes(data)
    return rf


def check_sections(rf: ReadFile, blueprints: dict[str, Blueprint]) -> list[Problem]:
    """Items whose section is not one of their exam's blueprint sections (they would never be drawn)."""
    problems = []
    for item in rf.bank.items:
        for exam in item.exams:
            bp = blueprints.get(exam)
            if bp is not None and bp.section(item.section) is None:
                keys = ", ".join(s.key for s in bp.sections)
                problems.append(
                    Problem(
                        str(rf.path),
                        f"section {item.section!r} is not in the {exam} blueprint; "
                        f"expected one of: {keys}",
                        record=f"item {item.id}",
                    )
                )
    return problems


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
) -> list[ImportSummary]:
    """Import files; all are validated first, and if any has a problem nothing is written."""
    read: list[ReadFile] = []
    problems: list[Problem] = []
    blueprints = services.blueprints()
    for path in paths:
        try:
            rf = read_file(
                path, fmt, bank_name=bank_name, exam=exam, section=section, mapping=mapping
            )
        except InputError as exc:
            problems += exc.problems
            continue
        problems += check_sections(rf, blueprints)
        read.append(rf)
    if problems:
        raise InputError(problems)
    out = []
    with gc_paused():
        for rf in read:
            summary = import_bank(
                services.engine,
                rf.bank,
                checksum=rf.checksum,
                on_duplicate=on_duplicate,
                dry_run=dry_run,
                progress=progress,
                source=str(rf.path),
            )
            summary.warnings = rf.warnings + summary.warnings
            if with_history and rf.history and not dry_run:
                n = carry_history(services, rf.history)
                summary.warnings.append(
                    Problem(str(rf.path), f"review history carried over for {n} cards")
                )
            out.append(summary)
    return out


def carry_history(services: Services, history: list[Any]) -> int:
    """Replay an Anki deck's review log through FSRS: card states and log rows (source=import)."""
    from certprep.services.review import settings_for

    settings = settings_for(services, None)
    scheduler = settings.scheduler()
    lid = services.learner_id
    with services.engine.connect() as conn:
        studied = {
            r.item_id
            for r in conn.execute(sa.select(CARD.c.item_id).where(CARD.c.learner_id == lid))
        }
    cards, logs = [], []
    for h in history:
        if h.item_id in studied:  # never overwrite what the learner studied here
            continue
        reviews: list[tuple[datetime, int, int]] = sorted(h.reviews)
        if not reviews:
            continue
        state = CardState()
        for when, rating, duration in reviews:
            logs.append(
                {
                    "learner_id": lid,
                    "item_id": h.item_id,
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
                "item_id": h.item_id,
                "state": state.state,
                "step": state.step,
                "stability": state.stability,
                "difficulty": state.difficulty,
                "due": state.due,
                "last_review": state.last_review,
                "reps": state.reps,
                "lapses": state.lapses,
                "introduced_at": reviews[0][0],
            }
        )
    if not cards:
        return 0
    with writing(services.engine) as conn:
        conn.execute(sa.insert(CARD), cards)
        conn.execute(sa.insert(REVIEW_LOG), logs)
    return len(cards)


def bank_from_store(services: Services, name: str) -> Bank:
    """A bank as stored (live items in their order, with cases), for export."""
    from certprep.store.tables import BANK, CASE, ITEM

    with services.engine.connect() as conn:
        row = conn.execute(sa.select(BANK).where(BANK.c.name == name)).first()
        if row is None:
            raise InputError(f"no bank named {name!r}; `certprep banks list` shows the banks")
        items = [
            r.payload
            for r in conn.execute(
                sa.select(ITEM.c.payload)
                .where(ITEM.c.bank_id == row.id, ITEM.c.retired.is_(False))
                .order_by(ITEM.c.position)
            )
        ]
        cases = [
            {"id": c.id, "title": c.title, "text": c.text}
            for c in conn.execute(
                sa.select(CASE).where(CASE.c.bank_id == row.id).order_by(CASE.c.id)
            )
        ]
    header = {k: v for k, v in (row.header or {}).items() if k not in ("items", "cases")}
    cases = [{k: v for k, v in c.items() if v is not None} for c in cases]
    return Bank.model_validate({**header, "cases": cases, "items": items})


def export_bank(services: Services, name: str, fmt: str = "native") -> bytes:
    """The bank in a file format: native (YAML), json, csv, gift or moodle."""
    from certprep.banks.native import dump_bank

    bank = bank_from_store(services, name)
    if fmt in ("native", "yaml"):
        return dump_bank(bank).encode()
    if fmt == "json":
        return dump_bank(bank, as_json=True).encode()
    try:
        from certprep.banks.formats import write_bank  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        raise InputError(f"export to {fmt!r} is not available; use native or json") from None
    return bytes(write_bank(bank, fmt))
