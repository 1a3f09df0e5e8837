"""The log of code-book lookups: each search, with the exam attempt and question it served."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa

if TYPE_CHECKING:
    from certprep.services.services import Services


@dataclass(frozen=True)
class Lookup:
    """One search, with where it was made: the exam attempt and question on screen."""

    query: str
    results: int
    elapsed_ms: float
    system: str | None = None
    context: str = "home"  # exam | review | drill | home | cli
    attempt_id: int | None = None
    item_id: str | None = None
    code: str | None = None  # the code the learner opened, if any
    spent_s: float | None = None  # the learner's time in the book since the last lookup


@dataclass(frozen=True)
class ItemLookups:
    item_id: str
    lookups: int
    search_ms: float  # total time the queries took
    queries: list[str]
    book_s: float = 0.0  # the learner's time in the book for this question


def log_lookup(services: Services, lookup: Lookup) -> None:
    """Record a lookup for the services' learner."""
    from certprep.store.codebook_log import CODEBOOK_LOOKUP
    from certprep.store.engine import writing

    with writing(services.engine) as conn:
        conn.execute(
            sa.insert(CODEBOOK_LOOKUP).values(
                learner_id=services.learner_id,
                attempt_id=lookup.attempt_id,
                item_id=lookup.item_id,
                context=lookup.context[:16],
                query=lookup.query[:200],
                system=lookup.system,
                results=lookup.results,
                elapsed_ms=lookup.elapsed_ms,
                code=lookup.code[:16] if lookup.code else None,
                spent_s=lookup.spent_s,
                created_at=services.clock(),
            )
        )


def lookups_by_item(services: Services, attempt_id: int) -> list[ItemLookups]:
    """Which questions of an exam attempt needed the book: per item, the lookups, the time the
    queries took and the learner's time in the book, in the order the items were first looked up."""
    from certprep.store.codebook_log import CODEBOOK_LOOKUP as t

    with services.engine.connect() as conn:
        rows = conn.execute(
            sa.select(t.c.item_id, t.c.query, t.c.elapsed_ms, t.c.spent_s)
            .where(t.c.learner_id == services.learner_id, t.c.attempt_id == attempt_id)
            .order_by(t.c.id)
        ).all()
    out: dict[str, ItemLookups] = {}
    for item_id, query, ms, spent in rows:
        key = item_id or ""
        prev = out.get(key) or ItemLookups(key, 0, 0.0, [])
        out[key] = ItemLookups(
            key,
            prev.lookups + 1,
            prev.search_ms + ms,
            [*prev.queries, query],
            prev.book_s + (spent or 0.0),
        )
    return list(out.values())
