"""The review queue: which cards a session offers, in what order, and loading one to show."""

from __future__ import annotations

import heapq
import math
from collections import deque
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from certprep.core.models import Item
from certprep.core.scheduling import (
    LEARNING,
    NEW,
    RELEARNING,
    CardState,
    SchedulerSettings,
)
from certprep.services.review.limits import (
    LEARN_AHEAD,
    active,
    caps,
    naive,
    raw_time,
    review_due,
    scoped,
    scoped_cards,
    settings_for,
    study_day,
)
from certprep.services.review.model import (
    STATE_COLUMNS,
    Counts,
    ReviewFilter,
    StudyCard,
    UndoStep,
    card_state,
)
from certprep.services.review.unseen import raise_hints, unseen_items
from certprep.store.direct import Direct
from certprep.store.tables import CARD, CASE, ITEM, ITEM_EXAM

if TYPE_CHECKING:
    from certprep.services.services import Services


# an item, the learner's card of it (if any) and its case text, in one statement
LOAD_CARD = Direct(
    sa.select(
        ITEM.c.payload,
        CARD.c.item_id.label("card_item"),
        *STATE_COLUMNS,
        CASE.c.title.label("case_title"),
        CASE.c.text.label("case_text"),
    )
    .select_from(
        ITEM.outerjoin(
            CARD, sa.and_(CARD.c.item_id == ITEM.c.id, CARD.c.learner_id == sa.bindparam("lid"))
        ).outerjoin(CASE, CASE.c.id == ITEM.c.case_id)
    )
    .where(ITEM.c.id == sa.bindparam("item"))
)


def days_since(dialect: str, column: Any, now: datetime) -> Any:
    """Days from a stored time to ``now``, in SQL (fractional)."""
    at = now.astimezone(UTC).replace(tzinfo=None)
    if dialect == "sqlite":
        return sa.func.julianday(at.isoformat(" ")) - sa.func.julianday(column)
    return sa.extract("epoch", sa.literal(at, sa.DateTime) - column) / 86400.0


class QueueSession:
    """The queue half of a review session (``ReviewSession`` adds answering and marks)."""

    def __init__(
        self,
        services: Services,
        filt: ReviewFilter | None = None,
        *,
        extra_new: int = 0,
        extra_reviews: int = 0,
    ) -> None:
        self.services = services
        services.reload_settings()  # `certprep optimize` may have saved parameters meanwhile
        self.filter = filt or ReviewFilter()
        self.extra_new = extra_new
        self.extra_reviews = extra_reviews
        self.settings = settings_for(services, self.filter.exam)
        self._scheduler = self.settings.scheduler()
        self._mode_exams: dict[str, SchedulerSettings] = {}
        if self.filter.exam is None:
            for exam in services.settings.get("exam_mode", {}):
                s = settings_for(services, exam)
                if s.exam_date is not None and s.exam_date > services.clock():
                    self._mode_exams[exam] = s
        self._learning: list[tuple[datetime, str]] = []  # heap of (due as naive UTC, item id)
        # (item id, queue name) in order; a deque: the next card is taken from its front
        self._main: deque[tuple[str, str]] = deque()
        self._undo: list[UndoStep] = []
        self.answered = 0
        self.build_queue()

    def settings_for_item(self, item_id: str) -> SchedulerSettings:
        """The session's settings, or, in a session over every exam, those of the item's exam in
        exam-date mode with the nearest exam (so the mode holds however the learner reviews)."""
        if not self._mode_exams:
            return self.settings
        with self.services.engine.connect() as conn:
            exams = {
                r[0]
                for r in conn.execute(
                    sa.select(ITEM_EXAM.c.exam).where(ITEM_EXAM.c.item_id == item_id)
                )
            }
        modes = [self._mode_exams[e] for e in sorted(exams) if e in self._mode_exams]
        return min(modes, key=lambda s: s.exam_date or datetime.max) if modes else self.settings

    def build_queue(self) -> None:
        """Learning cards, then reviews by lowest retrievability, new cards interleaved.

        Read from the card indexes without the wide item rows (live and in scope through the
        link tables), with stored times read raw (``naive``): no per-row type processing."""
        svc = self.services
        lid = svc.learner_id
        day = study_day(svc)
        f = self.filter
        mine = CARD.c.learner_id == lid
        with svc.engine.connect() as conn:
            new_cap, rev_cap = caps(svc, conn, day, self.extra_new, self.extra_reviews)
            learning = conn.execute(
                scoped_cards(
                    sa.select(CARD.c.item_id, raw_time(CARD.c.due)).where(
                        mine, CARD.c.state.in_((LEARNING, RELEARNING)), active(day.now)
                    ),
                    f,
                )
            ).all()
            # the 4 x cap soonest due, then the lowest retrievability first: R falls as the
            # days since the last review over the stability grow, so the database sorts by that
            # (ties in due order) and no R is computed per card
            soonest = scoped_cards(
                sa.select(CARD.c.item_id, CARD.c.stability, CARD.c.last_review, CARD.c.due)
                .where(mine, review_due(day))
                .order_by(CARD.c.due)
                .limit(max(rev_cap * 4, 1000)),
                f,
            ).subquery()
            elapsed = days_since(svc.engine.dialect.name, soonest.c.last_review, day.now)
            reviews = (
                conn.execute(
                    sa.select(soonest.c.item_id)
                    .order_by(
                        sa.or_(
                            soonest.c.stability.is_(None), soonest.c.last_review.is_(None)
                        ).desc(),
                        (sa.case((elapsed < 0, 0.0), else_=elapsed) / soonest.c.stability).desc(),
                        soonest.c.due,
                    )
                    .limit(rev_cap)
                )
                .scalars()
                .all()
                if rev_cap
                else []
            )
            self._lagging: list[int] = []
            new = self._new_cards(conn, day.now, new_cap) if new_cap else []
        raise_hints(svc, self._lagging)
        # naive UTC times in the heap: SQLite's text parsed as is, PostgreSQL's as they come
        parse = datetime.fromisoformat if svc.engine.dialect.name == "sqlite" else naive
        self._learning = [(parse(due), item_id) for item_id, due in learning]
        heapq.heapify(self._learning)
        main = interleave(list(reviews), new)
        if f.limit is not None:
            room = max(0, f.limit - len(self._learning))
            main = main[:room]
        self._main = deque(main)

    def _new_cards(self, conn: Any, now: datetime, cap: int) -> list[str]:
        """The first ``cap`` new cards in queue order: new cards with a due time (by due, then
        bank order), then the rest, never studied, in bank order (``unseen.unseen_items``:
        from each bank's hint, stopping at ``cap``)."""
        lid = self.services.learner_id
        f = self.filter
        fresh = sa.and_(CARD.c.state == NEW, active(now))
        dated = conn.execute(
            scoped(
                sa.select(ITEM.c.id)
                .select_from(CARD.join(ITEM, ITEM.c.id == CARD.c.item_id))
                .where(CARD.c.learner_id == lid, fresh, CARD.c.due.is_not(None))
                .order_by(CARD.c.due, ITEM.c.bank_id, ITEM.c.position)
                .limit(cap),
                f,
            )
        ).all()
        out = [r[0] for r in dated]
        if len(out) < cap:
            undated, self._lagging = unseen_items(conn, lid, f, now, cap - len(out))
            out += undated
        return out

    def counts(self) -> Counts:
        """Cards this session offers now, by queue (like Anki's header); learning cards count
        once they are due within the learn-ahead window, as in ``due_counts``."""
        horizon = naive(self.services.clock() + LEARN_AHEAD)
        c = Counts(learning=sum(1 for d, _ in self._learning if d <= horizon))
        for _, q in self._main:
            if q == "new":
                c.new += 1
            else:
                c.review += 1
        return c

    def load_card(self, item_id: str) -> StudyCard:
        """One item with its card state and case text (one statement, built once)."""
        with self.services.engine.connect() as conn:
            row = LOAD_CARD.first(conn, {"lid": self.services.learner_id, "item": item_id})
        if row is None:
            raise LookupError(f"no item {item_id!r}")
        item = Item.model_validate(row.payload)
        has_card = row.card_item is not None
        return StudyCard(
            item,
            card_state(row) if has_card else CardState(),
            has_card,
            bool(row.flagged) if has_card else False,
            bool(row.marked) if has_card else False,
            row.case_title,
            row.case_text,
            shown_at=self.services.clock(),
        )

    def next_card(self) -> StudyCard | None:
        """The next card to show, or None when the session is done."""
        now = naive(self.services.clock())
        if self._learning and self._learning[0][0] <= now:
            _, item_id = heapq.heappop(self._learning)
            return self.load_card(item_id)
        if self._main:
            item_id, _ = self._main.popleft()
            return self.load_card(item_id)
        if self._learning and self._learning[0][0] <= now + LEARN_AHEAD:
            _, item_id = heapq.heappop(self._learning)
            return self.load_card(item_id)
        return None

    def next_learning_due(self) -> datetime | None:
        """When the next learning card comes back (shown when the session is otherwise done)."""
        return self._learning[0][0].replace(tzinfo=UTC) if self._learning else None

    def put_back(self, study: StudyCard) -> None:
        """Return a card that was shown but not rated to the front of its queue."""
        self._drop({study.item.id})
        if study.card.state in (LEARNING, RELEARNING) and study.card.due is not None:
            heapq.heappush(self._learning, (naive(study.card.due), study.item.id))
        else:
            self._main.appendleft((study.item.id, "new" if study.card.state == NEW else "review"))

    def _drop(self, item_ids: set[str]) -> list[tuple[str, str]]:
        """Take cards out of the queue; returns the main-queue entries removed."""
        removed = [(i, q) for i, q in self._main if i in item_ids]
        self._main = deque((i, q) for i, q in self._main if i not in item_ids)
        self._learning = [(d, i) for d, i in self._learning if i not in item_ids]
        heapq.heapify(self._learning)
        return removed


def interleave(reviews: list[str], new: list[str]) -> list[tuple[str, str]]:
    """Spread new cards evenly among the reviews."""
    if not new:
        return [(i, "review") for i in reviews]
    out: list[tuple[str, str]] = []
    every = max(1, math.ceil((len(reviews) + len(new)) / len(new)))
    r = n = 0
    while r < len(reviews) or n < len(new):
        for _ in range(every - 1):
            if r < len(reviews):
                out.append((reviews[r], "review"))
                r += 1
        if n < len(new):
            out.append((new[n], "new"))
            n += 1
        elif r < len(reviews):
            out.append((reviews[r], "review"))
            r += 1
    return out
