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
from certprep.banks.native_stream import Row, prepare
from certprep.banks.removal import remove_bank as remove_bank  # re-exported
from certprep.banks.removal import retire_bank as retire_bank  # re-exported
from certprep.core.models import Bank, BankHeader, Case, Item
from certprep.core.problems import Problem
from certprep.store.engine import RawJSON, writing
from certprep.store.tables import (
    BANK,
    CASE,
    ITEM,
    ITEM_COUNT,
    ITEM_EXAM,
    ITEM_TOPIC,
    UNSEEN_HINT,
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


def _text(conn: Connection, value: str | None) -> str | None:
    """Free text for a text column: PostgreSQL cannot store NUL characters, so they go there
    (in JSON columns they are escaped and kept). SQLite keeps the text exactly."""
    if value is None or conn.dialect.name == "sqlite" or "\x00" not in value:
        return value
    return value.replace("\x00", "")


def _chunks(seq: list[str], n: int = 900) -> list[list[str]]:
    return [seq[i : i + n] for i in range(0, len(seq), n)]


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
    for part in _chunks(keys):
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
            "title": _text(conn, bank.title),
            "source": _text(conn, bank.source),
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
            _write_cases(conn, cases, self.bank_id, self.case_key)

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
            _insert_new(conn, chunk)
            _write_links(conn, chunk)
            self._advance(len(chunk))
        for start in range(0, len(changed), CHUNK):
            chunk = changed[start : start + CHUNK]
            _update_changed(conn, chunk)
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
        for part in _chunks(gone):
            conn.execute(sa.update(ITEM).where(ITEM.c.id.in_(part)).values(retired=True))
        _sync_copies(conn, self.bank_id, self.changed)
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


# the exams of each card's item, as card.exams holds them (migration 0008_perf_denormalised)
_CARD_EXAMS = {
    "sqlite": (
        "UPDATE card SET exams = (SELECT group_concat(exam, ',') FROM (SELECT exam FROM "
        "item_exam WHERE item_id = card.item_id ORDER BY exam)) WHERE item_id IN ({ids})"
    ),
    "postgresql": (
        "UPDATE card SET exams = (SELECT string_agg(e.exam, ',' ORDER BY e.exam) FROM "
        "item_exam e WHERE e.item_id = card.item_id) WHERE item_id IN ({ids})"
    ),
}


def _sync_copies(conn: Connection, bank_id: int, changed: list[str]) -> None:
    """Bring migration 0008's copies up to date with the items this import wrote: SQLite's
    triggers run per row (about 15 µs an item on a bulk import), so item and item_exam
    inserts have none there and the importer, the one writer of new items, does it once:
    the bank's unseen hints dropped, the item counters recounted (each a count of an index),
    the exams copied onto the cards of items filed anew. On PostgreSQL the statement-level
    triggers already did the same; this repeats it (the counts are set, not added to)."""
    conn.execute(sa.delete(UNSEEN_HINT).where(UNSEEN_HINT.c.bank_id == bank_id))
    counts = {
        str(exam): int(n)
        for exam, n in conn.execute(
            sa.select(ITEM_EXAM.c.exam, sa.func.count()).group_by(ITEM_EXAM.c.exam)
        )
    }
    counts["*"] = int(conn.execute(sa.select(sa.func.count()).select_from(ITEM)).scalar_one())
    stored = {str(r[0]) for r in conn.execute(sa.select(ITEM_COUNT.c.scope))}
    for scope in stored - set(counts):
        counts[scope] = 0
    for scope, n in counts.items():
        where = ITEM_COUNT.c.scope == scope
        if scope in stored:
            conn.execute(sa.update(ITEM_COUNT).where(where).values(total=n))
        else:
            conn.execute(sa.insert(ITEM_COUNT).values(scope=scope, total=n))
    sql = _CARD_EXAMS.get(conn.dialect.name)
    for part in _chunks(changed) if sql else []:
        marks = ", ".join(f":i{k}" for k in range(len(part)))
        conn.execute(
            sa.text(sql.format(ids=marks)),  # type: ignore[union-attr]
            {f"i{k}": v for k, v in enumerate(part)},
        )


def _insert_new(conn: Connection, rows: list[tuple[object, ...]]) -> None:
    """Bulk insert of new item rows; on SQLite straight through the driver's executemany."""
    if conn.dialect.name != "sqlite":
        conn.execute(sa.insert(ITEM), [_row_values(r) for r in rows])
        return
    conn.exec_driver_sql(
        "INSERT INTO item (id, source_id, bank_id, position, kind, section, case_id, content_hash,"
        " retired, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
        [r[:9] for r in rows],
    )


def _row_values(r: tuple[object, ...]) -> dict[str, object]:
    """An item row (a tuple of ``BankWriter.add``) as the item table's column values."""
    names = ("id", "source_id", "bank_id", "position", "kind", "section", "case_id")
    return {
        **dict(zip(names, r[:7], strict=True)),
        "content_hash": r[7],
        "retired": False,
        "payload": RawJSON(str(r[8])),
    }


def _update_changed(conn: Connection, rows: list[tuple[object, ...]]) -> None:
    """Rewrite items whose wording or place changed (their exam and topic rows anew)."""
    upd = (
        sa.update(ITEM)
        .where(ITEM.c.id == sa.bindparam("b_id"))
        .values(
            bank_id=sa.bindparam("bank_id"),
            source_id=sa.bindparam("source_id"),
            position=sa.bindparam("position"),
            kind=sa.bindparam("kind"),
            section=sa.bindparam("section"),
            case_id=sa.bindparam("case_id"),
            content_hash=sa.bindparam("content_hash"),
            retired=False,
            payload=sa.bindparam("payload"),
        )
    )
    values = []
    for r in rows:
        v = _row_values(r)
        v["b_id"] = v.pop("id")
        del v["retired"]
        values.append(v)
    conn.execute(upd, values)
    for part in _chunks([str(r[0]) for r in rows]):
        conn.execute(sa.delete(ITEM_EXAM).where(ITEM_EXAM.c.item_id.in_(part)))
        conn.execute(sa.delete(ITEM_TOPIC).where(ITEM_TOPIC.c.item_id.in_(part)))
    _write_links(conn, rows)


def _write_links(conn: Connection, rows: list[tuple[object, ...]]) -> None:
    """The exam/section and topic rows of freshly written items."""
    exams = [(r[0], exam, r[5]) for r in rows for exam in r[9]]  # type: ignore[attr-defined]
    topics = [(r[0], topic) for r in rows for topic in r[10]]  # type: ignore[attr-defined]
    if conn.dialect.name == "sqlite":
        if exams:
            conn.exec_driver_sql(
                "INSERT INTO item_exam (item_id, exam, section) VALUES (?, ?, ?)", exams
            )
        if topics:
            conn.exec_driver_sql("INSERT INTO item_topic (item_id, topic) VALUES (?, ?)", topics)
        return
    if exams:
        conn.execute(
            sa.insert(ITEM_EXAM), [{"item_id": i, "exam": e, "section": s} for i, e, s in exams]
        )
    if topics:
        conn.execute(sa.insert(ITEM_TOPIC), [{"item_id": i, "topic": t} for i, t in topics])


def _write_cases(conn: Connection, cases: list[Case], bank_id: int, keys: dict[str, str]) -> None:
    """The bank's cases, replaced; only this bank's (another bank's "C1" is its own)."""
    conn.execute(sa.delete(CASE).where(CASE.c.bank_id == bank_id))
    if cases:
        conn.execute(
            sa.insert(CASE),
            [
                {
                    "id": keys[c.id],
                    "source_id": c.id,
                    "bank_id": bank_id,
                    "title": _text(conn, c.title),
                    "text": _text(conn, c.text),
                }
                for c in cases
            ],
        )
