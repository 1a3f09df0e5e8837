"""The import pipeline's last step: a validated Bank into the store, in one transaction.

Re-importing the same file changes nothing; an item whose wording changed keeps its id, so its
review history stays; items no longer in the file are retired (hidden), never deleted, so no
learner's history is lost.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from certprep.core.models import Bank, payload_hash
from certprep.core.problems import InputError, Problem
from certprep.store.engine import RawJSON, writing
from certprep.store.tables import (
    BANK,
    CASE,
    EXAM_ANSWER,
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
    dry_run: bool = False
    by_exam: dict[str, dict[str, int]] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.added + self.updated + self.unchanged

    def line(self) -> str:
        verb = "would import" if self.dry_run else "imported"
        return (
            f"{self.bank}: {verb} {self.total} items — {self.added} added, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.skipped} skipped, {self.retired} retired"
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
        )


def _stored_places(conn: Connection, ids: list[str]) -> dict[str, tuple[list[str], str]]:
    """The exams and section each stored item is filed under."""
    out: dict[str, tuple[list[str], str]] = {}
    for part in _chunks(ids):
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
) -> ImportSummary:
    """``import_bank`` inside the caller's transaction (several banks, all or none).

    With ``reassign`` False, items already in this bank keep the exams and section they are
    filed under (a learner may have placed them), and a warning says how many kept them.
    """
    summary = ImportSummary(bank=bank.name, dry_run=dry_run)
    source = source or bank.name
    items = bank.items
    ids = [it.id for it in items]
    total = len(items)
    tbl_item = ITEM

    bank_row = conn.execute(sa.select(BANK).where(BANK.c.name == bank.name)).first()
    existing: dict[str, tuple[int, str, bool]] = {}
    for part in _chunks(ids):
        for row in conn.execute(
            sa.select(
                tbl_item.c.id, tbl_item.c.bank_id, tbl_item.c.content_hash, tbl_item.c.retired
            ).where(tbl_item.c.id.in_(part))
        ):
            existing[row.id] = (row.bank_id, row.content_hash, row.retired)

    bank_id = bank_row.id if bank_row else None
    foreign = [i for i in ids if i in existing and existing[i][0] != bank_id]
    if foreign and on_duplicate == "error":
        raise InputError(
            [
                Problem(
                    source,
                    "item id already belongs to another bank; pass --on-duplicate skip or update",
                    record=i,
                )
                for i in foreign
            ]
        )
    skip = set(foreign) if on_duplicate == "skip" else set()
    if skip:
        summary.warnings.append(
            Problem(
                source,
                f"{len(skip)} items skipped: their ids belong to another bank "
                f"(first: {sorted(skip)[0]}); --on-duplicate update moves them here",
            )
        )
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
        places = _stored_places(conn, [i for i in ids if existing.get(i, (None,))[0] == bank_id])
    kept = 0
    first_kept = ""
    for pos, item in enumerate(items):
        if item.id in skip:
            summary.skipped += 1
            continue
        place = places.get(item.id)
        if place is not None and (sorted(place[0]), place[1]) != (
            sorted(item.exams),
            item.section,
        ):
            kept += 1
            first_kept = first_kept or (
                f"{item.id} stays in {', '.join(place[0])}/{place[1]}, the file says "
                f"{', '.join(item.exams)}/{item.section}"
            )
            item = item.model_copy(update={"exams": place[0], "section": place[1]})
        text = item.model_dump_json(exclude_none=True)  # pydantic's Rust serialiser
        h = payload_hash(text)
        new_row: dict[str, object] = {
            "id": item.id,
            "bank_id": bank_id,
            "position": pos,
            "kind": str(item.kind),
            "section": item.section,
            "case_id": item.case,
            "content_hash": h,
            "retired": False,
            "payload": RawJSON(text),
            "_exams": item.exams,
            "_topics": item.topics,
        }
        old = existing.get(item.id)
        if old is None:
            new_rows.append(new_row)
            summary.added += 1
        elif old[0] != bank_id or old[1] != h or old[2]:
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

    keep = set(ids) - skip
    if bank_row is not None:
        gone = [
            r.id
            for r in conn.execute(
                sa.select(tbl_item.c.id).where(
                    tbl_item.c.bank_id == bank_id, tbl_item.c.retired.is_(False)
                )
            )
            if r.id not in keep
        ]
        summary.retired = len(gone)
    else:
        gone = []

    if dry_run:
        return summary

    _write_cases(conn, bank, bank_id)
    done = summary.unchanged + summary.skipped
    for start in range(0, len(new_rows), CHUNK):
        chunk = new_rows[start : start + CHUNK]
        _insert_new(conn, chunk)
        _write_links(conn, chunk)
        done += len(chunk)
        if progress:
            progress(done, total)
    if changed_rows:
        upd = (
            sa.update(tbl_item)
            .where(tbl_item.c.id == sa.bindparam("b_id"))
            .values(
                bank_id=sa.bindparam("bank_id"),
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
            conn.execute(upd, [{**r, "b_id": r["id"]} for r in chunk])
            chunk_ids = [str(r["id"]) for r in chunk]
            for part in _chunks(chunk_ids):
                conn.execute(sa.delete(ITEM_EXAM).where(ITEM_EXAM.c.item_id.in_(part)))
                conn.execute(sa.delete(ITEM_TOPIC).where(ITEM_TOPIC.c.item_id.in_(part)))
            _write_links(conn, chunk)
            done += len(chunk)
            if progress:
                progress(done, total)
    for part in _chunks(gone):
        conn.execute(sa.update(tbl_item).where(tbl_item.c.id.in_(part)).values(retired=True))
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
        "INSERT INTO item (id, bank_id, position, kind, section, case_id, content_hash, retired, payload)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)",
        [
            (
                r["id"],
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


def _write_cases(conn: Connection, bank: Bank, bank_id: int) -> None:
    tbl = CASE
    conn.execute(sa.delete(tbl).where(tbl.c.bank_id == bank_id))
    if bank.cases:
        ids = [c.id for c in bank.cases]
        for part in _chunks(ids):
            conn.execute(sa.delete(tbl).where(tbl.c.id.in_(part)))
        conn.execute(
            sa.insert(tbl),
            [
                {
                    "id": c.id,
                    "bank_id": bank_id,
                    "title": _text(conn, c.title),
                    "text": _text(conn, c.text),
                }
                for c in bank.cases
            ],
        )


def remove_bank(engine: Engine, name: str) -> int:
    """Delete a bank, its items and every card and log on them. Returns the items removed."""
    with writing(engine, importing=True) as conn:
        row = conn.execute(sa.select(BANK.c.id).where(BANK.c.name == name)).first()
        if row is None:
            raise InputError(f"no bank named {name!r}; `certprep banks list` shows the banks")
        n = conn.execute(
            sa.select(sa.func.count()).select_from(ITEM).where(ITEM.c.bank_id == row.id)
        ).scalar_one()
        used = conn.execute(
            sa.select(EXAM_ANSWER.c.attempt_id)
            .distinct()
            .select_from(EXAM_ANSWER.join(ITEM, ITEM.c.id == EXAM_ANSWER.c.item_id))
            .where(ITEM.c.bank_id == row.id)
        ).all()
        if used:
            # exam answers cascade with their items: attempts would lose what was asked
            raise InputError(
                f"bank {name!r} has questions in {len(used)} exam attempt"
                f"{'s' if len(used) != 1 else ''}; removing it would erase what was asked and "
                f"answered there. `certprep banks retire {name}` takes its questions out of "
                "review and new exams and keeps every attempt whole"
            )
        conn.execute(sa.delete(BANK).where(BANK.c.id == row.id))
        return int(n)


def retire_bank(engine: Engine, name: str) -> int:
    """Take a bank's items out of review and new exams, keeping them with every attempt and
    review of them. Returns the items retired."""
    with writing(engine, importing=True) as conn:
        row = conn.execute(sa.select(BANK.c.id).where(BANK.c.name == name)).first()
        if row is None:
            raise InputError(f"no bank named {name!r}; `certprep banks list` shows the banks")
        result = conn.execute(
            sa.update(ITEM)
            .where(ITEM.c.bank_id == row.id, ITEM.c.retired.is_(False))
            .values(retired=True)
        )
        return int(result.rowcount or 0)
