"""What daily review hands to its callers: filters, cards on screen, counts, results, history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from certprep.core.models import Item
from certprep.core.scheduling import NEW, STATE_NAMES, CardState
from certprep.store.direct import Direct
from certprep.store.tables import CARD

# every column of a card row but its key and the item's exams (a copy the database keeps):
# what undo puts back
CARD_COLUMNS: tuple[str, ...] = tuple(
    c.name for c in CARD.columns if c.name not in ("learner_id", "item_id", "exams")
)
STATE_COLUMNS = tuple(CARD.c[name] for name in CARD_COLUMNS)


@dataclass(frozen=True)
class ReviewFilter:
    """Which cards a session draws from (the daily limits are the learner's, whatever the scope)."""

    exam: str | None = None
    section: str | None = None
    topic: str | None = None
    limit: int | None = None


@dataclass
class StudyCard:
    """A card on screen: the item, its case, its memory state and marks."""

    item: Item
    card: CardState
    exists: bool  # a card row exists (False: never touched)
    flagged: bool = False
    marked: bool = False
    case_title: str | None = None
    case_text: str | None = None
    shown_at: datetime | None = None

    @property
    def queue(self) -> str:
        return "new" if self.card.state == NEW else STATE_NAMES[self.card.state]


@dataclass
class Counts:
    """Cards a review session offers now, by queue (what home calls "due now" + new)."""

    new: int = 0
    learning: int = 0
    review: int = 0

    @property
    def total(self) -> int:
        return self.new + self.learning + self.review

    @property
    def due(self) -> int:
        """Learning and review cards offered now: home's "due now"."""
        return self.learning + self.review


@dataclass
class RateResult:
    card: CardState
    leech: bool = False
    interval: str = ""


@dataclass
class HistoryEntry:
    reviewed_at: datetime
    rating: int
    source: str
    duration_ms: int | None
    state_before: int | None


@dataclass
class CardHistory:
    item_id: str
    card: CardState
    retrievability: float
    entries: list[HistoryEntry] = field(default_factory=list)


@dataclass
class UndoStep:
    """One review action to take back: the card rows it changed, as they were before."""

    kind: str  # rating, suspend, bury, flag, mark
    rows: dict[str, dict[str, Any] | None]  # item id -> every column before (None: no row)
    show: str | None = None  # the card to show again
    log_id: int | None = None  # the review-log row a rating wrote
    requeue: list[tuple[str, str]] = field(default_factory=list)  # queue entries it removed

    @property
    def label(self) -> str:
        return {
            "rating": "the last answer was taken back",
            "suspend": "the card is no longer suspended",
            "bury": "the buried cards are back",
            "flag": "the flag change was taken back",
            "mark": "the mark change was taken back",
        }.get(self.kind, self.kind)


def card_state(row: Any) -> CardState:
    """The memory state of a card row."""
    return CardState(
        state=row.state,
        step=row.step,
        stability=row.stability,
        difficulty=row.difficulty,
        due=row.due,
        last_review=row.last_review,
        reps=row.reps,
        lapses=row.lapses,
    )


def state_values(c: CardState) -> dict[str, Any]:
    """The card-row columns of a memory state."""
    return {
        "state": c.state,
        "step": c.step,
        "stability": c.stability,
        "difficulty": c.difficulty,
        "due": c.due,
        "last_review": c.last_review,
        "reps": c.reps,
        "lapses": c.lapses,
    }


# one card's row, built once (the answer path runs it for every rating)
SNAPSHOT_ONE = Direct(
    sa.select(*STATE_COLUMNS).where(
        CARD.c.learner_id == sa.bindparam("lid"), CARD.c.item_id == sa.bindparam("item")
    )
)


def snapshot(conn: Any, lid: int, item_ids: list[str]) -> dict[str, dict[str, Any] | None]:
    """Every column of these cards' rows as they are now (None where there is no row)."""
    out: dict[str, dict[str, Any] | None] = {i: None for i in item_ids}
    if not item_ids:
        return out
    if len(item_ids) == 1:
        out[item_ids[0]] = SNAPSHOT_ONE.first(conn, {"lid": lid, "item": item_ids[0]})
        return out
    for r in conn.execute(
        sa.select(CARD.c.item_id, *STATE_COLUMNS).where(
            CARD.c.learner_id == lid, CARD.c.item_id.in_(item_ids)
        )
    ):
        out[r.item_id] = {k: getattr(r, k) for k in CARD_COLUMNS}
    return out


def restore(conn: Any, lid: int, rows: dict[str, dict[str, Any] | None]) -> None:
    """Put card rows back exactly as ``snapshot`` found them."""
    for item_id, values in rows.items():
        where = sa.and_(CARD.c.learner_id == lid, CARD.c.item_id == item_id)
        if values is None:
            conn.execute(sa.delete(CARD).where(where))
        else:
            res = conn.execute(sa.update(CARD).where(where).values(**values))
            if res.rowcount == 0:
                conn.execute(sa.insert(CARD).values(learner_id=lid, item_id=item_id, **values))
