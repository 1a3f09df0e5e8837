"""The import pipeline's last step: a validated Bank into the store, in one transaction.

Re-importing the same file changes nothing; an item whose wording changed keeps its id, so its
review history stays; items no longer in the file are retired (hidden), never deleted, so no
learner's history is lost. Ids belong to their bank (``banks.identity``): another bank's items
are never touched.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from certprep.banks.identity import (
    case_keys,
    edits_of,
    item_keys,
    near_duplicate_warnings,
    shipped_rows,
)
from certprep.banks.removal import remove_bank as remove_bank  # re-exported
from certprep.banks.removal import retire_bank as retire_bank  # re-exported
from certprep.core.models import Bank, payload_hash
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
    summary = ImportSummary(bank=bank.name, dry_run=dry_run)
    source = source or bank.name
    items = bank.items
    total = len(items)

    bank_row = conn.execute(sa.select(BANK).where(BANK.c.name == bank.name)).first()
    bank_id = bank_row.id if bank_row else None
    # this bank's rows: source id -> (key, content hash, retired)
    stored: dict[str, tuple[str, str, bool]] = {}
    if bank_id is not None:
        for row in conn.execute(
            sa.select(ITEM.c.source_id, ITEM.c.id, ITEM.c.content_hash, ITEM.c.retired).where(
                ITEM.c.bank_id == bank_id
            )
        ):
            stored[row.source_id] = (row.id, row.content_hash, row.retired)
    # a shipped question moved to another shipped bank file stays the same row (and history)
    moved = shipped_rows(conn, bank, stored, bank_id) if origin == "bundled" else {}
    stored.update(moved)
    by_key = {v[0]: (sid, v[1], v[2]) for sid, v in stored.items()}
    edits = edits_of(conn, bank, stored, derived or set())
    key_of = item_keys(conn, bank, stored, edits)
    summary.matched = len(edits)
    summary.keys = {sid: key for sid, key in key_of.items() if sid != key}
    case_key = case_keys(conn, bank, bank_id)

    header = bank.model_dump(mode="json", exclude={"items", "cases"}, exclude_none=True)
    if bank_id is None:
        if dry_run:
            bank_id = -1
        else:
            bank_id = conn.execute(
                sa.insert(BANK).values(
                    name=bank.name,
                    version=bank.version,
                    title=_text(conn, bank.title),
                    source=_text(conn, bank.source),
                    origin=origin,
                    checksum=checksum,
                    header=header,
                    imported_at=utcnow(),
                )
            ).inserted_primary_key[0]  # type: ignore[index]
    elif not dry_run:
        conn.execute(
            sa.update(BANK)
            .where(BANK.c.id == bank_id)
            .values(
                version=bank.version,
                title=_text(conn, bank.title),
                source=_text(conn, bank.source),
                checksum=checksum,
                header=header,
                imported_at=utcnow(),
            )
        )

    new_rows: list[dict[str, object]] = []
    changed_rows: list[dict[str, object]] = []
    places: dict[str, tuple[list[str], str]] = {}
    if not reassign and bank_row is not None:
        places = _stored_places(conn, [k for sid, k in key_of.items() if k in by_key])
    kept = 0
    first_kept = ""
    for pos, item in enumerate(items):
        sid = item.id
        key = key_of[sid]
        place = places.get(key)
        if place is not None and (sorted(place[0]), place[1]) != (
            sorted(item.exams),
            item.section,
        ):
            kept += 1
            first_kept = first_kept or (
                f"{sid} stays in {', '.join(place[0])}/{place[1]}, the file says "
                f"{', '.join(item.exams)}/{item.section}"
            )
            item = item.model_copy(update={"exams": place[0], "section": place[1]})
        case = case_key.get(item.case) if item.case else None
        if key != sid or case != item.case:
            # the payload speaks the database's keys; exports give the author's ids back
            item = item.model_copy(update={"id": key, "case": case})
        text = item.model_dump_json(exclude_none=True)  # pydantic's Rust serialiser
        h = payload_hash(text)
        new_row: dict[str, object] = {
            "id": key,
            "source_id": sid,
            "bank_id": bank_id,
            "position": pos,
            "kind": str(item.kind),
            "section": item.section,
            "case_id": case,
            "content_hash": h,
            "retired": False,
            "payload": RawJSON(text),
            "_exams": item.exams,
            "_topics": item.topics,
            "_stem": item.stem,
        }
        old = by_key.get(key)
        if old is None:
            new_rows.append(new_row)
            summary.added += 1
        elif old[0] != sid or old[1] != h or old[2] or sid in moved:
            changed_rows.append(new_row)
            summary.updated += 1
        else:
            summary.unchanged += 1
        per = summary.by_exam
        for exam in item.exams:
            per.setdefault(exam, defaultdict(int))[item.section] += 1
    summary.by_exam = {e: dict(s) for e, s in summary.by_exam.items()}
    if kept:
        summary.warnings.append(
            Problem(
                source,
                f"{kept} items already here keep their exam and section ({first_kept}); "
                "--reassign files them where the file says",
            )
        )
    if edits:
        sid, key = next(iter(edits.items()))
        summary.warnings.append(
            Problem(
                source,
                f"{len(edits)} questions without ids of their own were edited since the last "
                f"import; each stays the same question with its history (first: {key})",
            )
        )
    if origin != "bundled" and not bank.name.startswith("codeset-"):  # not generated drills
        summary.warnings += near_duplicate_warnings(
            conn, bank_id, [*new_rows, *changed_rows], source
        )

    keep = set(key_of.values())
    gone = [k for k, v in by_key.items() if not v[2] and k not in keep]
    summary.retired = len(gone)

    if dry_run:
        return summary

    _write_cases(conn, bank, bank_id, case_key)
    done = summary.unchanged
    for start in range(0, len(new_rows), CHUNK):
        chunk = new_rows[start : start + CHUNK]
        _insert_new(conn, chunk)
        _write_links(conn, chunk)
        done += len(chunk)
        if progress:
            progress(done, total)
    if changed_rows:
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
        for start in range(0, len(changed_rows), CHUNK):
            chunk = changed_rows[start : start + CHUNK]
            conn.execute(
                upd,
                [
                    {k: v for k, v in r.items() if not k.startswith("_")} | {"b_id": r["id"]}
                    for r in chunk
                ],
            )
            chunk_ids = [str(r["id"]) for r in chunk]
            for part in _chunks(chunk_ids):
                conn.execute(sa.delete(ITEM_EXAM).where(ITEM_EXAM.c.item_id.in_(part)))
                conn.execute(sa.delete(ITEM_TOPIC).where(ITEM_TOPIC.c.item_id.in_(part)))
            _write_links(conn, chunk)
            done += len(chunk)
            if progress:
                progress(done, total)
    for part in _chunks(gone):
        conn.execute(sa.update(ITEM).where(ITEM.c.id.in_(part)).values(retired=True))
    _sync_copies(conn, bank_id, [str(r["id"]) for r in changed_rows])
    if progress:
        progress(total, total)
    return summary


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


def _insert_new(conn: Connection, rows: list[dict[str, object]]) -> None:
    """Bulk insert of new item rows; on SQLite straight through the driver's executemany."""
    if conn.dialect.name != "sqlite":
        conn.execute(
            sa.insert(ITEM), [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows]
        )
        return
    conn.exec_driver_sql(
        "INSERT INTO item (id, source_id, bank_id, position, kind, section, case_id, content_hash,"
        " retired, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
        [
            (
                r["id"],
                r["source_id"],
                r["bank_id"],
                r["position"],
                r["kind"],
                r["section"],
                r["case_id"],
                r["content_hash"],
                str(r["payload"]),
            )
            for r in rows
        ],
    )


def _write_links(conn: Connection, rows: list[dict[str, object]]) -> None:
    """The exam/section and topic rows of freshly written items."""
    exams = [(r["id"], exam, r["section"]) for r in rows for exam in r["_exams"]]  # type: ignore[attr-defined]
    topics = [(r["id"], topic) for r in rows for topic in r["_topics"]]  # type: ignore[attr-defined]
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


def _write_cases(conn: Connection, bank: Bank, bank_id: int, keys: dict[str, str]) -> None:
    """The bank's cases, replaced; only this bank's (another bank's "C1" is its own)."""
    conn.execute(sa.delete(CASE).where(CASE.c.bank_id == bank_id))
    if bank.cases:
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
                for c in bank.cases
            ],
        )
