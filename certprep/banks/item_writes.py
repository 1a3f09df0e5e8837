"""The item rows an import writes: items, their exam and topic links, a bank's cases, and the
denormalised copies (migration 0008) brought up to date afterwards. On SQLite the bulk inserts go
straight through the driver's executemany; on PostgreSQL through SQLAlchemy.

A row is a tuple of ``BankWriter._take``: (key, source id, bank id, position, kind, section,
case, content hash, payload text, exams, topics).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from certprep.core.models import Case
from certprep.store.engine import RawJSON
from certprep.store.tables import CASE, ITEM, ITEM_COUNT, ITEM_EXAM, ITEM_TOPIC, UNSEEN_HINT


def text_value(conn: Connection, value: str | None) -> str | None:
    """Free text for a text column: PostgreSQL cannot store NUL characters, so they go there
    (in JSON columns they are escaped and kept). SQLite keeps the text exactly."""
    if value is None or conn.dialect.name == "sqlite" or "\x00" not in value:
        return value
    return value.replace("\x00", "")


def chunks(seq: list[str], n: int = 900) -> list[list[str]]:
    return [seq[i : i + n] for i in range(0, len(seq), n)]


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


def sync_copies(conn: Connection, bank_id: int, changed: list[str]) -> None:
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
    for part in chunks(changed) if sql else []:
        marks = ", ".join(f":i{k}" for k in range(len(part)))
        conn.execute(
            sa.text(sql.format(ids=marks)),  # type: ignore[union-attr]
            {f"i{k}": v for k, v in enumerate(part)},
        )


def insert_new(conn: Connection, rows: list[tuple[object, ...]]) -> None:
    """Bulk insert of new item rows; on SQLite straight through the driver's executemany."""
    if conn.dialect.name != "sqlite":
        conn.execute(sa.insert(ITEM), [row_values(r) for r in rows])
        return
    conn.exec_driver_sql(
        "INSERT INTO item (id, source_id, bank_id, position, kind, section, case_id, content_hash,"
        " retired, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
        [r[:9] for r in rows],
    )


def row_values(r: tuple[object, ...]) -> dict[str, object]:
    """An item row (a tuple of ``BankWriter.add``) as the item table's column values."""
    names = ("id", "source_id", "bank_id", "position", "kind", "section", "case_id")
    return {
        **dict(zip(names, r[:7], strict=True)),
        "content_hash": r[7],
        "retired": False,
        "payload": RawJSON(str(r[8])),
    }


def update_changed(conn: Connection, rows: list[tuple[object, ...]]) -> None:
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
        v = row_values(r)
        v["b_id"] = v.pop("id")
        del v["retired"]
        values.append(v)
    conn.execute(upd, values)
    for part in chunks([str(r[0]) for r in rows]):
        conn.execute(sa.delete(ITEM_EXAM).where(ITEM_EXAM.c.item_id.in_(part)))
        conn.execute(sa.delete(ITEM_TOPIC).where(ITEM_TOPIC.c.item_id.in_(part)))
    write_links(conn, rows)


def write_links(conn: Connection, rows: list[tuple[object, ...]]) -> None:
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


def write_cases(conn: Connection, cases: list[Case], bank_id: int, keys: dict[str, str]) -> None:
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
                    "title": text_value(conn, c.title),
                    "text": text_value(conn, c.text),
                }
                for c in cases
            ],
        )
