"""The import pipeline's last step: a validated Bank into the store, in one transaction.

Re-importing the same file changes nothing; an item whose wording changed keeps its id, so its
review history stays; items no longer in the file are retired (hidden), never deleted, so no
learner's history is lost. Ids belong to their bank (``banks.identity``): another bank's items
are never touched.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from certprep.banks.identity import (
    allocate_keys,
    case_keys,
    edits_of,
    item_keys,
    near_duplicate_warnings,
    shipped_rows,
)
from certprep.banks.item_writes import (
    chunks,
    insert_new,
    sync_copies,
    text_value,
    update_changed,
    write_cases,
    write_links,
)
from certprep.banks.native_stream import Row, prepare
from certprep.banks.removal import remove_bank as remove_bank  # re-exported
from certprep.banks.removal import retire_bank as retire_bank  # re-exported
from certprep.core.models import Bank, BankHeader, Case, Item
from certprep.core.problems import Problem
from certprep.store.engine import writing
from certprep.store.tables import (
    BANK,
    ITEM,
    ITEM_EXAM,
    utcnow,
)

Progress = Callable[[int, int], None]
_TAKEN = "SELECT id FROM item WHERE id IN (SELECT value FROM json_each(?))"
OnDuplicate = Literal["skip", "update", "error"]
CHUNK = 2000


@dataclass
class ImportSummary:
    """What an import did (or, on a dry run, would do)."""

    bank: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    retired: int = 0
    matched: int = 0  # questions without ids matched to their edited selves
    dry_run: bool = False
    keys: dict[str, str] = field(default_factory=dict)  # source id -> key, where they differ
    by_exam: dict[str, dict[str, int]] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.added + self.updated + self.unchanged

    def line(self) -> str:
        verb = "would import" if self.dry_run else "imported"
        skipped = f", {self.skipped} skipped" if self.skipped else ""
        return (
            f"{self.bank}: {verb} {self.total} items — {self.updated} updated, {self.added} new, "
            f"{self.unchanged} unchanged, {self.retired} retired{skipped}"
        )


def checksum_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def import_bank(
    engine: Engine,
    bank: Bank,
    *,
    checksum: str,
    origin: str = "import",
    on_duplicate: OnDuplicate = "skip",
    dry_run: bool = False,
    progress: Progress | None = None,
    source: str | None = None,
    reassign: bool = True,
    derived: set[str] | None = None,
) -> ImportSummary:
    """Write ``bank`` to the store in one transaction (or only count, on a dry run)."""
    with writing(engine, importing=True) as conn:
        return import_bank_into(
            conn,
            bank,
            checksum=checksum,
            origin=origin,
            on_duplicate=on_duplicate,
            dry_run=dry_run,
            progress=progress,
            source=source,
            reassign=reassign,
            derived=derived,
        )


def _stored_places(conn: Connection, keys: list[str]) -> dict[str, tuple[list[str], str]]:
    """The exams and section each stored item is filed under."""
    out: dict[str, tuple[list[str], str]] = {}
    for part in chunks(keys):
        for row in conn.execute(
            sa.select(ITEM_EXAM.c.item_id, ITEM_EXAM.c.exam, ITEM_EXAM.c.section)
            .where(ITEM_EXAM.c.item_id.in_(part))
            .order_by(ITEM_EXAM.c.item_id, ITEM_EXAM.c.exam)
        ):
            exams, _ = out.get(row.item_id, ([], row.section))
            out[row.item_id] = ([*exams, row.exam], row.section)
    return out


def import_bank_into(
    conn: Connection,
    bank: Bank,
    *,
    checksum: str,
    origin: str = "import",
    on_duplicate: OnDuplicate = "skip",
    dry_run: bool = False,
    progress: Progress | None = None,
    source: str | None = None,
    reassign: bool = True,
    derived: set[str] | None = None,
) -> ImportSummary:
    """``import_bank`` inside the caller's transaction (several banks, all or none).

    Ids belong to the bank: an item is the stored row of this bank with the same id, another
    bank's ids are never touched (``on_duplicate`` is kept for callers; nothing clashes now).
    Items whose ids ``derived`` from their content (files without ids) that the bank does not
    have are matched to edited questions (``banks.identity``), keeping their history.
    With ``reassign`` False, items already in this bank keep the exams and section they are
    filed under (a learner may have placed them), and a warning says how many kept them.
    """
    w = BankWriter(
        conn,
        bank,
        bank.cases,
        checksum=checksum,
        origin=origin,
        dry_run=dry_run,
        progress=progress,
        source=source,
        reassign=reassign,
        total=len(bank.items),
    )
    # a shipped question moved to another shipped bank file stays the same row (and history)
    w.moved = shipped_rows(conn, bank, w.stored, w.bank_id) if origin == "bundled" else {}
    w.stored.update(w.moved)
    w.by_key = {v[0]: (sid, v[1], v[2]) for sid, v in w.stored.items()}
    edits = edits_of(conn, bank, w.stored, derived or set())
    key_of = item_keys(conn, bank, w.stored, edits)
    w.summary.matched = len(edits)
    if edits:
        key = next(iter(edits.values()))
        w.edit_note = (
            f"{len(edits)} questions without ids of their own were edited since the last "
            f"import; each stays the same question with its history (first: {key})"
        )
    w.add(bank.items, key_of)
    return w.finish(checksum)


class BankWriter:
    """One bank written into the store in the caller's transaction, its items given in order
    a batch at a time (``add``), then ``finish``: counts, warnings, items no longer in the
    file retired, the denormalised copies brought up to date. Only a batch of rows is held."""

    def __init__(
        self,
        conn: Connection,
        bank: BankHeader,
        cases: list[Case],
        *,
        checksum: str,
        origin: str = "import",
        dry_run: bool = False,
        progress: Progress | None = None,
        source: str | None = None,
        reassign: bool = True,
        total: int = 0,
    ) -> None:
        self.conn, self.bank, self.dry_run, self.progress = conn, bank, dry_run, progress
        self.checksum = checksum
        self.summary = ImportSummary(bank=bank.name, dry_run=dry_run)
        self.source = source or bank.name
        self.total = total
        self.position = 0
        self.done = 0
        self.edit_note = ""
        bank_row = conn.execute(sa.select(BANK).where(BANK.c.name == bank.name)).first()
        bank_id: int | None = bank_row.id if bank_row else None
        # this bank's rows: source id -> (key, content hash, retired)
        self.stored: dict[str, tuple[str, str, bool]] = {}
        if bank_id is not None:
            for r in conn.execute(
                sa.select(ITEM.c.source_id, ITEM.c.id, ITEM.c.content_hash, ITEM.c.retired).where(
                    ITEM.c.bank_id == bank_id
                )
            ):
                self.stored[r.source_id] = (r.id, r.content_hash, r.retired)
        self.moved: dict[str, tuple[str, str, bool]] = {}
        self.by_key = {v[0]: (sid, v[1], v[2]) for sid, v in self.stored.items()}
        self.taken = set(self.by_key)  # keys this bank holds or this import gave out
        self.keep: set[str] = set()  # keys in the file (what is not is retired)
        shell = (
            bank if isinstance(bank, Bank) else Bank.model_construct(name=bank.name, cases=cases)
        )
        self.case_key = case_keys(conn, shell, bank_id)
        self.places = not reassign and bank_row is not None
        self.kept = 0
        self.first_kept = ""
        self.changed: list[str] = []
        self.per: dict[str, dict[str, int]] = {}
        # stems of written questions, kept for the near-duplicate check only when some other
        # bank has questions to compare them with
        self.stems: tuple[dict[str, str], dict[str, str]] | None = None
        if origin != "bundled" and not bank.name.startswith("codeset-") and _others(conn):
            self.stems = ({}, {})
        header = bank.model_dump(
            mode="json", include=set(BankHeader.model_fields), exclude_none=True
        )
        row = {
            "version": bank.version,
            "title": text_value(conn, bank.title),
            "source": text_value(conn, bank.source),
            "checksum": checksum,
            "header": header,
            "imported_at": utcnow(),
        }
        if bank_id is None:
            bank_id = -1
            if not dry_run:
                bank_id = conn.execute(
                    sa.insert(BANK).values(name=bank.name, origin=origin, **row)
                ).inserted_primary_key[0]  # type: ignore[index]
        elif not dry_run:
            conn.execute(sa.update(BANK).where(BANK.c.id == bank_id).values(**row))
        self.bank_id: int = bank_id
        if not dry_run:
            write_cases(conn, cases, self.bank_id, self.case_key)

    def keys(self, ids: list[str]) -> dict[str, str]:
        """The database key of each source id (its stored row's, else a free one)."""
        stored = self.stored
        key_of = {sid: stored[sid][0] for sid in ids if sid in stored}
        new_ids = [sid for sid in ids if sid not in key_of]
        if new_ids and self.conn.dialect.name == "sqlite":
            # the first choice, the id itself, for all of them in one statement (SQLAlchemy
            # would compile an IN list per 900); taken ones get allocate_keys' next choices
            in_db = {r[0] for r in self.conn.exec_driver_sql(_TAKEN, (json.dumps(new_ids),))}
            taken = self.taken
            free = [sid for sid in new_ids if sid not in in_db and sid not in taken]
            key_of.update(zip(free, free, strict=True))
            taken.update(free)
            new_ids = [sid for sid in new_ids if sid not in key_of]
        if new_ids:
            key_of.update(allocate_keys(self.conn, ITEM, self.bank.name, new_ids, self.taken))
        return key_of

    def add(self, items: list[Item], key_of: dict[str, str] | None = None) -> None:
        """Write a batch of the bank's items, in file order (or count them, on a dry run)."""
        key_of = key_of if key_of is not None else self.keys([it.id for it in items])
        places: dict[str, tuple[list[str], str]] = {}
        if self.places:
            keys = [key_of[it.id] for it in items if key_of[it.id] in self.by_key]
            places = _stored_places(self.conn, keys)
        case_key = self.case_key
        rows = []
        for item in items:
            sid = item.id
            key = key_of[sid]
            place = places.get(key)
            if place is not None and (sorted(place[0]), place[1]) != (
                sorted(item.exams),
                item.section,
            ):
                self.kept += 1
                self.first_kept = self.first_kept or (
                    f"{sid} stays in {', '.join(place[0])}/{place[1]}, the file says "
                    f"{', '.join(item.exams)}/{item.section}"
                )
                item = item.model_copy(update={"exams": place[0], "section": place[1]})
            case = case_key.get(item.case) if item.case else None
            if key != sid or case != item.case:
                # the payload speaks the database's keys; exports give the author's ids back
                item = item.model_copy(update={"id": key, "case": case})
            rows.append(prepare(item, sid))
        self._take(rows)

    def add_rows(self, rows: list[Row]) -> None:
        """``add`` for rows prepared from the author's items (``native_stream.prepare``, in
        a worker process): those whose database key or case key differs are written anew."""
        key_of = self.keys([r.id for r in rows])
        case_key = self.case_key
        out = []
        for r in rows:
            key = key_of[r.id]
            case = case_key.get(r.case) if r.case else None
            if key != r.key or case != r.case:
                item = Item.model_validate_json(r.payload)
                r = prepare(item.model_copy(update={"id": key, "case": case}), r.id)
            out.append(r)
        self._take(out)

    def _take(self, rows: list[Row]) -> None:
        """Count and write rows whose payloads speak the database's keys."""
        conn, summary, by_key, moved = self.conn, self.summary, self.by_key, self.moved
        bank_id, per, stems = self.bank_id, self.per, self.stems
        summary.keys.update((r.id, r.key) for r in rows if r.id != r.key)
        if by_key:
            self.keep.update(r.key for r in rows)
        new: list[tuple[object, ...]] = []
        changed: list[tuple[object, ...]] = []
        unchanged = summary.unchanged
        for r in rows:
            key, sid, h = r.key, r.id, r.hash
            row = (key, sid, bank_id, self.position, r.kind, r.section, r.case, h, r.payload)
            self.position += 1
            old = by_key.get(key)
            if old is None:
                new.append((*row, r.exams, r.topics))
                summary.added += 1
                if stems is not None:
                    stems[0][key] = r.stem
            elif old[0] != sid or old[1] != h or old[2] or sid in moved:
                changed.append((*row, r.exams, r.topics))
                summary.updated += 1
                if stems is not None:
                    stems[1][key] = r.stem
            else:
                summary.unchanged += 1
            for exam in r.exams:
                sections = per.get(exam)
                if sections is None:
                    sections = per[exam] = {}
                sections[r.section] = sections.get(r.section, 0) + 1
        if self.dry_run:
            return
        self.done += summary.unchanged - unchanged
        for start in range(0, len(new), CHUNK):
            chunk = new[start : start + CHUNK]
            insert_new(conn, chunk)
            write_links(conn, chunk)
            self._advance(len(chunk))
        for start in range(0, len(changed), CHUNK):
            chunk = changed[start : start + CHUNK]
            update_changed(conn, chunk)
            self.changed += [str(r[0]) for r in chunk]
            self._advance(len(chunk))

    def _advance(self, n: int) -> None:
        self.done += n
        if self.progress:
            self.progress(self.done, max(self.total, self.done))

    def finish(self, checksum: str) -> ImportSummary:
        """Counts and warnings; on a real import the retired items and denormalised copies."""
        conn, summary = self.conn, self.summary
        summary.by_exam = {e: dict(s) for e, s in self.per.items()}
        if self.kept:
            summary.warnings.append(
                Problem(
                    self.source,
                    f"{self.kept} items already here keep their exam and section "
                    f"({self.first_kept}); --reassign files them where the file says",
                )
            )
        if self.edit_note:
            summary.warnings.append(Problem(self.source, self.edit_note))
        if self.stems is not None:
            stems = [{"id": k, "_stem": v} for part in self.stems for k, v in part.items()]
            summary.warnings += near_duplicate_warnings(conn, self.bank_id, stems, self.source)  # type: ignore[arg-type]
        gone = [k for k, v in self.by_key.items() if not v[2] and k not in self.keep]
        summary.retired = len(gone)
        if self.dry_run:
            return summary
        if checksum != self.checksum:  # (a streamed file's is known once it is read)
            conn.execute(sa.update(BANK).where(BANK.c.id == self.bank_id).values(checksum=checksum))
        for part in chunks(gone):
            conn.execute(sa.update(ITEM).where(ITEM.c.id.in_(part)).values(retired=True))
        sync_copies(conn, self.bank_id, self.changed)
        if self.progress:
            self.progress(self.position, self.position)
        return summary


def _others(conn: Connection) -> bool:
    """Whether any live question of a bank could be a near-duplicate of an imported one
    (``identity.near_duplicates`` compares with other banks' questions, not code-set drills)."""
    row = conn.execute(
        sa.select(ITEM.c.id)
        .join(BANK, BANK.c.id == ITEM.c.bank_id)
        .where(ITEM.c.retired.is_(False), sa.not_(BANK.c.name.startswith("codeset-")))
        .limit(1)
    ).first()
    return row is not None
