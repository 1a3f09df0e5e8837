"""The card browser: search the collection, look at one item's history, act on many at once.

Search syntax (the CLI's ``certprep cards QUERY`` and the browser's search box)::

    exam:cpc section:surgery_40000 is:suspended "heart failure" -is:leech code:K35.80

- A bare word or a "quoted phrase" is text, matched (any case) in the stem, the choices and a
  flashcard's back. Several are all required.
- ``field:value`` filters: ``exam:`` ``section:`` ``topic:`` ``bank:`` ``id:`` ``kind:``
  ``code:`` (a code in the answer key, a choice or a reference, any case, as written) and
  ``is:`` new | learning | review | due | suspended | buried | leech | flagged | marked.
  ``field:a,b`` matches either value; ``*`` is a wildcard in ``section:``, ``topic:``, ``bank:``
  and ``id:`` (``section:surgery_*``); ``field:"two words"`` quotes a value.
- ``-`` before any term negates it (``-is:suspended``, ``-exam:ccs``, ``-insulin``).
- ``is:new`` is a card never studied (or reset), suspended or not; ``is:learning`` includes
  relearning; ``is:due`` is what review would offer now (studied, due, not suspended or buried).
- Every term must hold. ``exam:`` and ``section:`` together mean that section of that exam.
- An unknown field, exam, section, bank, topic, kind or state is an error that lists the valid
  ones; to search for text with a colon, quote it (``"ratio:1"``).

Actions, each one write transaction, on the learner's cards of the given items:
suspend / unsuspend; unbury; flag / unflag; mark / unmark; **reset** (back to new: memory state,
due date, repetition and lapse counts and the leech tag cleared; the review log is kept, as
Anki's "Forget" does; suspension, flags and marks stay); **forget** (a reset that also deletes
the card's review-log rows: a clean slate the optimiser and statistics no longer see).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from certprep.core.models import Item, ItemKind
from certprep.core.problems import InputError
from certprep.core.scheduling import CardState, retrievability
from certprep.services import card_queries as cq
from certprep.services.card_queries import CardQuery, Clause, Page, ResultRow
from certprep.services.card_syntax import due_label, parse_query, plain, state_label
from certprep.store.engine import writing
from certprep.store.tables import BANK, CARD, CASE, ITEM, ITEM_EXAM, ITEM_TOPIC, REVIEW_LOG

if TYPE_CHECKING:
    from certprep.services.services import Services

__all__ = [
    "ACTIONS",
    "CardBrowser",
    "CardDetail",
    "CardQuery",
    "Clause",
    "Page",
    "ResultRow",
    "due_label",
    "parse_query",
    "plain",
    "state_label",
]


@dataclass
class HistoryLine:
    reviewed_at: datetime
    rating: int
    source: str
    duration_ms: int | None
    state_before: int | None


@dataclass
class CardDetail:
    """One item with its card and every past rating."""

    item: Item
    bank: str
    exams: list[tuple[str, str]]  # (exam, section)
    topics: list[str]
    case_title: str | None
    case_text: str | None
    card: CardState
    has_card: bool
    suspended: bool = False
    buried_until: datetime | None = None
    flagged: bool = False
    marked: bool = False
    leech: bool = False
    introduced_at: datetime | None = None
    retrievability: float | None = None
    history: list[HistoryLine] = field(default_factory=list)


@dataclass
class ActionResult:
    action: str
    selected: int
    changed: int
    history_deleted: int = 0

    def message(self) -> str:
        past = ACTIONS[self.action][1]
        text = f"{past} {self.changed} of {self.selected} card{'s' if self.selected != 1 else ''}"
        if self.action == "forget":
            text += f"; {self.history_deleted} review-log rows deleted"
        return text + "."


_NEW_STATE: dict[str, Any] = {
    "state": 0,
    "step": None,
    "stability": None,
    "difficulty": None,
    "due": None,
    "last_review": None,
    "reps": 0,
    "lapses": 0,
    "leech": False,
    "introduced_at": None,
}
_NOT_NEW = sa.or_(
    CARD.c.state != 0,
    CARD.c.reps > 0,
    CARD.c.lapses > 0,
    CARD.c.due.is_not(None),
    CARD.c.leech.is_(True),
    CARD.c.introduced_at.is_not(None),
)

# name -> (what the key says, past tense for messages)
ACTIONS: dict[str, tuple[str, str]] = {
    "suspend": ("Suspend", "Suspended"),
    "unsuspend": ("Unsuspend", "Unsuspended"),
    "unbury": ("Unbury", "Unburied"),
    "flag": ("Flag", "Flagged"),
    "unflag": ("Unflag", "Unflagged"),
    "mark": ("Mark", "Marked"),
    "unmark": ("Unmark", "Unmarked"),
    "reset": ("Reset to new", "Reset"),
    "forget": ("Forget (reset and delete history)", "Forgot"),
}


class CardBrowser:
    """Search and bulk actions over one learner's collection."""

    def __init__(self, services: Services) -> None:
        self.services = services

    # -- queries ---------------------------------------------------------------------------
    def parse(self, text: str, extra: Sequence[Clause] = ()) -> CardQuery:
        """Parse the search and check every value against the database."""
        query = parse_query(text).with_clauses(extra)
        self.validate(query)
        return query

    def validate(self, query: CardQuery) -> None:
        with self.services.engine.connect() as conn:
            known_exams = sorted(
                set(cq.distinct_values(conn, "exam")) | set(self.services.blueprints())
            )
            exams = [v for c in query.clauses if c.field == "exam" for v in c.values]
            checks: dict[str, Callable[[], list[str]]] = {
                "exam": lambda: known_exams,
                "section": lambda: self._sections(conn, [e for e in exams if "*" not in e]),
                "topic": lambda: cq.distinct_values(conn, "topic"),
                "bank": lambda: cq.distinct_values(conn, "bank"),
                "kind": lambda: [k.value for k in ItemKind],
                "is": lambda: list(cq.STATES),
            }
            cache: dict[str, list[str]] = {}
            for c in query.clauses:
                if c.field not in checks:
                    continue
                valid = cache.setdefault(c.field, checks[c.field]())
                for v in c.values:
                    if c.field in ("exam", "kind", "is") and "*" in v:
                        raise InputError(f"{c.field}: takes no wildcard ({v!r})", "search")
                    if "*" in v or v in valid:
                        continue
                    raise InputError(_unknown(c.field, v, valid, exams), "search")

    def _sections(self, conn: sa.Connection, exams: list[str]) -> list[str]:
        found = set(cq.sections_of(conn, exams))
        for key, bp in self.services.blueprints().items():
            if not exams or key in exams:
                found |= {s.key for s in bp.sections}
        return sorted(found)

    def search(
        self, query: CardQuery, *, offset: int = 0, limit: int = 100, count: bool = True
    ) -> Page:
        with self.services.engine.connect() as conn:
            return cq.search_page(
                conn,
                self.services.learner_id,
                query,
                self.services.clock(),
                offset=offset,
                limit=limit,
                count=count,
            )

    def count(self, query: CardQuery) -> int:
        with self.services.engine.connect() as conn:
            return cq.count_matches(conn, self.services.learner_id, query, self.services.clock())

    def ids(self, query: CardQuery) -> list[str]:
        with self.services.engine.connect() as conn:
            return cq.matching_ids(conn, self.services.learner_id, query, self.services.clock())

    def detail(self, item_id: str) -> CardDetail:
        """The item, its exams, topics, case, card state and review log (oldest first)."""
        from certprep.services.review import settings_for

        lid = self.services.learner_id
        with self.services.engine.connect() as conn:
            row = conn.execute(
                sa.select(ITEM.c.payload, ITEM.c.case_id, BANK.c.name)
                .select_from(ITEM.join(BANK, BANK.c.id == ITEM.c.bank_id))
                .where(ITEM.c.id == item_id)
            ).first()
            if row is None:
                raise InputError(f"no item {item_id!r}", "cards")
            exams = [
                (r.exam, r.section)
                for r in conn.execute(
                    sa.select(ITEM_EXAM.c.exam, ITEM_EXAM.c.section)
                    .where(ITEM_EXAM.c.item_id == item_id)
                    .order_by(ITEM_EXAM.c.exam)
                )
            ]
            topics = [
                r.topic
                for r in conn.execute(
                    sa.select(ITEM_TOPIC.c.topic)
                    .where(ITEM_TOPIC.c.item_id == item_id)
                    .order_by(ITEM_TOPIC.c.topic)
                )
            ]
            case = (
                conn.execute(
                    sa.select(CASE.c.title, CASE.c.text).where(CASE.c.id == row.case_id)
                ).first()
                if row.case_id
                else None
            )
            card = conn.execute(
                sa.select(CARD).where(CARD.c.learner_id == lid, CARD.c.item_id == item_id)
            ).first()
            # "+ 0" keeps SQLite (which has no statistics) from walking the learner's whole log
            # in ix_review_log_learner_time instead of looking the item up in ix_review_log_item
            logs = conn.execute(
                sa.select(REVIEW_LOG)
                .where(REVIEW_LOG.c.learner_id + 0 == lid, REVIEW_LOG.c.item_id == item_id)
                .order_by(REVIEW_LOG.c.reviewed_at, REVIEW_LOG.c.id)
            ).all()
        state = (
            CardState(
                state=card.state,
                step=card.step,
                stability=card.stability,
                difficulty=card.difficulty,
                due=card.due,
                last_review=card.last_review,
                reps=card.reps,
                lapses=card.lapses,
            )
            if card is not None
            else CardState()
        )
        settings = settings_for(self.services, exams[0][0] if exams else None)
        recall = (
            retrievability(state, self.services.clock(), settings)
            if state.stability is not None
            else None
        )
        return CardDetail(
            Item.model_validate(row.payload),
            row.name,
            exams,
            topics,
            case.title if case else None,
            case.text if case else None,
            state,
            card is not None,
            bool(card.suspended) if card else False,
            card.buried_until if card else None,
            bool(card.flagged) if card else False,
            bool(card.marked) if card else False,
            bool(card.leech) if card else False,
            card.introduced_at if card else None,
            recall,
            [
                HistoryLine(r.reviewed_at, r.rating, r.source, r.duration_ms, r.state_before)
                for r in logs
            ],
        )

    # -- actions ---------------------------------------------------------------------------
    def all_set(self, ids: Sequence[str], column: str) -> bool:
        """Whether every one of these items has a card with ``column`` (flagged, marked,
        suspended) on: what a toggle key checks before it chooses to turn it off."""
        if column not in ("flagged", "marked", "suspended"):
            raise ValueError(column)
        wanted = set(ids)
        found: set[str] = set()
        with self.services.engine.connect() as conn:
            for part in cq.chunks(list(wanted)):
                found |= {
                    r.item_id
                    for r in conn.execute(
                        sa.select(CARD.c.item_id).where(
                            CARD.c.learner_id == self.services.learner_id,
                            CARD.c.item_id.in_(part),
                            CARD.c[column].is_(True),
                        )
                    )
                }
        return bool(wanted) and found == wanted

    def apply(self, action: str, ids: Sequence[str]) -> ActionResult:
        """Run one of ACTIONS on these items, in one write transaction."""
        if action not in ACTIONS:
            raise InputError(f"unknown action {action!r}; known: {', '.join(ACTIONS)}", "cards")
        ids = list(dict.fromkeys(ids))
        lid = self.services.learner_id
        now = self.services.clock()
        deleted = 0
        with writing(self.services.engine) as conn:
            upd = cq.update_cards
            if action in ("suspend", "flag", "mark"):
                col = {"suspend": "suspended", "flag": "flagged", "mark": "marked"}[action]
                changed = upd(
                    conn,
                    lid,
                    ids,
                    {col: True},
                    only_where=CARD.c[col].is_(False),
                    create_missing=True,
                )
            elif action in ("unsuspend", "unflag", "unmark"):
                col = {"unsuspend": "suspended", "unflag": "flagged", "unmark": "marked"}[action]
                changed = upd(conn, lid, ids, {col: False}, only_where=CARD.c[col].is_(True))
            elif action == "unbury":
                changed = upd(
                    conn, lid, ids, {"buried_until": None}, only_where=CARD.c.buried_until > now
                )
            else:  # reset, forget
                changed = upd(conn, lid, ids, dict(_NEW_STATE), only_where=_NOT_NEW)
                if action == "forget":
                    deleted = cq.delete_history(conn, lid, ids)
        return ActionResult(action, len(ids), changed, deleted)


def _unknown(field_name: str, value: str, valid: list[str], exams: list[str]) -> str:
    what = {"is": "state", "kind": "item kind"}.get(field_name, field_name)
    where = f" of {', '.join(exams)}" if field_name == "section" and exams else ""
    if not valid:
        return f"unknown {what} {value!r} in the search: there are none{where} yet"
    if len(valid) <= 40:
        listing = ", ".join(valid)
    else:
        close = difflib.get_close_matches(value, valid, n=8, cutoff=0.5)
        listing = ", ".join(close or valid[:20]) + f" … ({len(valid)} in all)"
    plural = {"is": "states", "kind": "item kinds", "topic": "topics"}.get(
        field_name, f"{field_name}s"
    )
    return f"unknown {what} {value!r} in the search; valid {plural}{where}: {listing}"
