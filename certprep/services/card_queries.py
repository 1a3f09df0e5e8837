"""SQL for the card browser: a parsed search as a WHERE clause, pages of results, bulk updates.

A search is a list of clauses, all of which must hold; a clause is a field with one or more
values (any of which may match) and may be negated. The clauses come from
``certprep.services.cards.parse_query``; this module only turns them into SQL.

Results are ordered by bank and position (the ``ix_item_queue`` index), so a page of a
broad search walks the index and stops after the page; a count is a separate query.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from certprep.store.tables import BANK, CARD, ITEM, ITEM_EXAM, ITEM_TOPIC, REVIEW_LOG

# the card table as the search sees it (aliased, so a bulk UPDATE of CARD can use the search)
C = CARD.alias("c")
CHUNK = 500  # ids per IN (...) list

STATES = ("new", "learning", "review", "due", "suspended", "buried", "leech", "flagged", "marked")
FIELDS = ("text", "code", "exam", "section", "topic", "bank", "id", "kind", "is")


@dataclass(frozen=True)
class Clause:
    """``field`` matches any of ``values``; ``negate`` turns it into "none of"."""

    field: str
    values: tuple[str, ...]
    negate: bool = False


@dataclass(frozen=True)
class CardQuery:
    clauses: tuple[Clause, ...] = ()
    text: str = ""  # the query as typed, for messages

    def with_clauses(self, more: Iterable[Clause]) -> CardQuery:
        return CardQuery((*self.clauses, *more), self.text)


@dataclass
class ResultRow:
    item_id: str
    exams: list[str]
    section: str
    stem: str
    state: int | None  # None: no card row (new, never seen)
    due: datetime | None
    suspended: bool = False
    buried_until: datetime | None = None
    leech: bool = False
    flagged: bool = False
    marked: bool = False


@dataclass
class Page:
    rows: list[ResultRow] = field(default_factory=list)
    total: int = 0
    offset: int = 0
    limit: int = 100


def _glob(column: Any, value: str) -> Any:
    """``*`` in a value is a wildcard; without one the match is exact."""
    if "*" not in value:
        return column == value
    escaped = value.replace("/", "//").replace("%", "/%").replace("_", "/_").replace("*", "%")
    return column.like(escaped, escape="/")


def _any(column: Any, values: Sequence[str]) -> Any:
    plain = [v for v in values if "*" not in v]
    parts = [_glob(column, v) for v in values if "*" in v]
    if plain:
        parts.append(column.in_(plain))
    return sa.or_(*parts)


def _raw_prefilter(term: str) -> bool:
    """Whether the term reads the same inside the stored JSON text (no escapes needed)."""
    return not any(ch in term for ch in '"\\') and all(ord(ch) >= 0x20 for ch in term)


def _payload_text(*path: str | int) -> Any:
    return ITEM.c.payload[path if len(path) > 1 else path[0]].as_string()


# a choice list holds at most six choices (core.models)
_CHOICE_TEXTS = [_payload_text("choices", i, "text") for i in range(6)]


def _has(column: Any, term: str, sqlite: bool) -> Any:
    """``column`` contains ``term``, any case. SQLite's LIKE already ignores (ASCII) case, as its
    lower() is ASCII-only too: calling lower() on every payload would only double the scan."""
    if sqlite:
        return column.contains(term, autoescape=True)
    return column.icontains(term, autoescape=True)


def _text_match(term: str, sqlite: bool) -> Any:
    """The term in the stem, a choice or a flashcard's back (any case)."""
    precise = sa.or_(
        _has(_payload_text("stem"), term, sqlite),
        _has(_payload_text("back"), term, sqlite),
        *(_has(col, term, sqlite) for col in _CHOICE_TEXTS),
    )
    if _raw_prefilter(term):  # a cheap scan of the raw JSON first; JSON paths only on a hit
        return sa.and_(_has(sa.cast(ITEM.c.payload, sa.Text), term, sqlite), precise)
    return precise


def _code_match(code: str, sqlite: bool) -> Any:
    """The code in the answer key (codes, alternatives), a choice or a reference (any case)."""
    precise = sa.or_(
        _has(_payload_text("codes"), code, sqlite),
        _has(_payload_text("alternatives"), code, sqlite),
        _has(_payload_text("references"), code, sqlite),
        *(_has(col, code, sqlite) for col in _CHOICE_TEXTS),
    )
    if _raw_prefilter(code):
        return sa.and_(_has(sa.cast(ITEM.c.payload, sa.Text), code, sqlite), precise)
    return precise


def _state_match(state: str, now: datetime) -> Any:
    """One ``is:`` value. Null-rejecting on the card row (so a positive filter can use it)."""
    if state == "new":
        return sa.or_(C.c.item_id.is_(None), C.c.state == 0)
    if state == "learning":
        return C.c.state.in_((1, 3))
    if state == "review":
        return C.c.state == 2
    if state == "due":
        return sa.and_(
            C.c.state > 0,
            C.c.due <= now,
            C.c.suspended.is_(False),
            sa.or_(C.c.buried_until.is_(None), C.c.buried_until <= now),
        )
    if state == "buried":
        return C.c.buried_until > now
    if state in ("suspended", "leech", "flagged", "marked"):
        return C.c[state] == sa.true()
    raise ValueError(f"unknown state {state!r}")


def _exam_links(exams: Sequence[str], sections: Sequence[str]) -> Any:
    conds = []
    if exams:
        conds.append(_any(ITEM_EXAM.c.exam, exams))
    if sections:
        conds.append(_any(ITEM_EXAM.c.section, sections))
        # a section is a small share of the items: start from item_exam (IN a subquery);
        # 10x faster to count at 100k items than probing item_exam once per item
        return ITEM.c.id.in_(sa.select(ITEM_EXAM.c.item_id).where(*conds))
    # a whole exam is most of the items: walk them in order and probe (a page stops early)
    return sa.exists().where(ITEM_EXAM.c.item_id == ITEM.c.id, *conds)


def _clause_sql(cl: Clause, now: datetime, sqlite: bool = False) -> Any:
    f, vals = cl.field, cl.values
    if f == "text":
        return sa.and_(*(_text_match(v, sqlite) for v in vals))  # words of a phrase are one value
    if f == "code":
        return sa.or_(*(_code_match(v, sqlite) for v in vals))
    if f == "exam":
        return _exam_links(vals, ())
    if f == "section":
        return _exam_links((), vals)
    if f == "topic":
        # IN (subquery): a topic is usually rare, so start from ix_item_topic_topic
        return ITEM.c.id.in_(sa.select(ITEM_TOPIC.c.item_id).where(_any(ITEM_TOPIC.c.topic, vals)))
    if f == "bank":
        return _any(BANK.c.name, vals)
    if f == "id":
        # the id shown, or the id its bank's file gives it ("Q1" finds every bank's Q1)
        return sa.or_(_any(ITEM.c.id, vals), _any(ITEM.c.source_id, vals))
    if f == "kind":
        return ITEM.c.kind.in_(vals)
    if f == "is":
        return sa.or_(*(_state_match(v, now) for v in vals))
    raise ValueError(f"unknown search field {f!r}")


def where_clause(query: CardQuery, now: datetime, *, sqlite: bool = False) -> Any:
    """Every clause as SQL, AND-ed. An exam and a section given together must be one link
    (``exam:cpc section:em`` is an item in the CPC's E/M section, not any exam's)."""
    positive = [c for c in query.clauses if not c.negate]
    exams = [c for c in positive if c.field == "exam"]
    sections = [c for c in positive if c.field == "section"]
    conds: list[Any] = [ITEM.c.retired.is_(False)]
    if exams and sections:
        ex = [v for c in exams for v in c.values] if len(exams) == 1 else []
        for s in sections:
            conds.append(_exam_links(ex, s.values) if ex else _clause_sql(s, now, sqlite))
        if not ex:  # with one exam clause, the links above already hold it
            conds.extend(_clause_sql(c, now, sqlite) for c in exams)
        rest = [c for c in query.clauses if c not in exams and c not in sections]
    else:
        rest = list(query.clauses)
    for c in rest:
        sql = _clause_sql(c, now, sqlite)
        conds.append(sa.not_(sa.func.coalesce(sql, sa.false())) if c.negate else sql)
    return sa.and_(*conds)


def _from(learner_id: int, query: CardQuery | None = None) -> Any:
    """Items with their bank and the learner's card; given a query, only the joins it needs
    (a count or an id list need no card row unless the query asks about the card)."""
    fields = {c.field for c in query.clauses} if query is not None else {"bank", "is"}
    src: Any = ITEM
    if "bank" in fields:
        src = src.join(BANK, BANK.c.id == ITEM.c.bank_id)
    if "is" in fields:
        src = src.outerjoin(C, sa.and_(C.c.item_id == ITEM.c.id, C.c.learner_id == learner_id))
    return src


def search_page(
    conn: Connection,
    learner_id: int,
    query: CardQuery,
    now: datetime,
    *,
    offset: int = 0,
    limit: int = 100,
    count: bool = True,
) -> Page:
    """One page of matching items (and, with ``count``, how many match in all)."""
    where = where_clause(query, now, sqlite=conn.dialect.name == "sqlite")
    q = (
        sa.select(
            ITEM.c.id,
            ITEM.c.section,
            _payload_text("stem").label("stem"),
            C.c.state,
            C.c.due,
            C.c.suspended,
            C.c.buried_until,
            C.c.leech,
            C.c.flagged,
            C.c.marked,
        )
        .select_from(_from(learner_id))
        .where(where)
        .order_by(ITEM.c.bank_id, ITEM.c.position, ITEM.c.id)
        .offset(offset)
        .limit(limit)
    )
    rows = conn.execute(q).all()
    exams: dict[str, list[str]] = {}
    ids = [r.id for r in rows]
    if ids:
        for r in conn.execute(
            sa.select(ITEM_EXAM.c.item_id, ITEM_EXAM.c.exam)
            .where(ITEM_EXAM.c.item_id.in_(ids))
            .order_by(ITEM_EXAM.c.exam)
        ):
            exams.setdefault(r.item_id, []).append(r.exam)
    out = [
        ResultRow(
            r.id,
            exams.get(r.id, []),
            r.section,
            r.stem or "",
            r.state,
            r.due,
            bool(r.suspended),
            r.buried_until,
            bool(r.leech),
            bool(r.flagged),
            bool(r.marked),
        )
        for r in rows
    ]
    if count and (0 < len(out) < limit or (offset == 0 and not out)):
        total = offset + len(out)  # the page ran out: the scan already saw every match
    elif count:
        total = count_matches(conn, learner_id, query, now)
    else:
        total = offset + len(out)
    return Page(out, total, offset, limit)


def count_matches(conn: Connection, learner_id: int, query: CardQuery, now: datetime) -> int:
    q = (
        sa.select(sa.func.count())
        .select_from(_from(learner_id, query))
        .where(where_clause(query, now, sqlite=conn.dialect.name == "sqlite"))
    )
    return int(conn.execute(q).scalar_one())


def matching_ids(conn: Connection, learner_id: int, query: CardQuery, now: datetime) -> list[str]:
    """Every matching item id, in browser order (for "select all" and actions on a query)."""
    q = (
        sa.select(ITEM.c.id)
        .select_from(_from(learner_id, query))
        .where(where_clause(query, now, sqlite=conn.dialect.name == "sqlite"))
        .order_by(ITEM.c.bank_id, ITEM.c.position, ITEM.c.id)
    )
    return [r.id for r in conn.execute(q)]


# -- bulk writes (call inside ``writing(engine)``) ------------------------------------------
def chunks(ids: Sequence[str]) -> Iterable[list[str]]:
    for i in range(0, len(ids), CHUNK):
        yield list(ids[i : i + CHUNK])


def existing_items(conn: Connection, ids: Sequence[str]) -> set[str]:
    out: set[str] = set()
    for part in chunks(ids):
        out |= {r.id for r in conn.execute(sa.select(ITEM.c.id).where(ITEM.c.id.in_(part)))}
    return out


def update_cards(
    conn: Connection,
    learner_id: int,
    ids: Sequence[str],
    values: dict[str, Any],
    *,
    only_where: Any = None,
    create_missing: bool = False,
) -> int:
    """Set ``values`` on the learner's cards of these items; with ``create_missing``, give
    never-seen items a new card row holding them. ``only_where`` limits which rows change (so the
    count is of cards that really changed). Returns how many cards changed."""
    changed = 0
    for part in chunks(ids):
        cond = sa.and_(CARD.c.learner_id == learner_id, CARD.c.item_id.in_(part))
        if only_where is not None:
            cond = sa.and_(cond, only_where)
        changed += conn.execute(sa.update(CARD).where(cond).values(**values)).rowcount or 0
        if create_missing:
            have = {
                r.item_id
                for r in conn.execute(
                    sa.select(CARD.c.item_id).where(
                        CARD.c.learner_id == learner_id, CARD.c.item_id.in_(part)
                    )
                )
            }
            missing = [i for i in part if i not in have]
            if missing:
                real = existing_items(conn, missing)
                missing = [i for i in missing if i in real]
            if missing:
                conn.execute(
                    sa.insert(CARD),
                    [
                        {"learner_id": learner_id, "item_id": i, "state": 0, **values}
                        for i in missing
                    ],
                )
                changed += len(missing)
    return changed


def delete_history(conn: Connection, learner_id: int, ids: Sequence[str]) -> int:
    """Delete the learner's review-log rows of these items; returns how many went."""
    gone = 0
    for part in chunks(ids):
        gone += (
            conn.execute(
                sa.delete(REVIEW_LOG).where(
                    REVIEW_LOG.c.learner_id == learner_id, REVIEW_LOG.c.item_id.in_(part)
                )
            ).rowcount
            or 0
        )
    return gone


def distinct_values(conn: Connection, field_name: str) -> list[str]:
    """The values a field can take in this database (for messages about unknown ones)."""
    col = {
        "exam": ITEM_EXAM.c.exam,
        "section": ITEM_EXAM.c.section,
        "topic": ITEM_TOPIC.c.topic,
        "bank": BANK.c.name,
        "kind": ITEM.c.kind,
    }[field_name]
    return [r[0] for r in conn.execute(sa.select(col).distinct().order_by(col))]


def sections_of(conn: Connection, exams: Sequence[str]) -> list[str]:
    q = sa.select(ITEM_EXAM.c.section).distinct().order_by(ITEM_EXAM.c.section)
    if exams:
        q = q.where(ITEM_EXAM.c.exam.in_(exams))
    return [r[0] for r in conn.execute(q)]
