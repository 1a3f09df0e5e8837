"""Daily review: the queue of due cards, answering, rating, undo, suspend and bury.

Every rating is written (card state and review-log row) in one transaction before the next card
is fetched, so a killed process loses nothing that was shown as done.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from certprep.core.grading import is_correct
from certprep.core.models import Item
from certprep.core.scheduling import (
    LEARNING,
    NEW,
    RELEARNING,
    REVIEW,
    STATE_NAMES,
    CardState,
    Rating,
    SchedulerSettings,
    format_interval,
    preview,
    retrievability,
    review,
)
from certprep.core.studyday import local_zone, next_study_day, study_day_start
from certprep.store.engine import writing
from certprep.store.tables import CARD, CASE, ITEM, ITEM_EXAM, ITEM_TOPIC, REVIEW_LOG

if TYPE_CHECKING:
    from certprep.services.services import Services

LEARN_AHEAD = timedelta(minutes=20)


@dataclass(frozen=True)
class ReviewFilter:
    """Which cards a session draws from."""

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
    new: int = 0
    learning: int = 0
    review: int = 0

    @property
    def total(self) -> int:
        return self.new + self.learning + self.review


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
class _Undo:
    item_id: str
    log_id: int
    before: CardState
    existed: bool
    suspended: bool
    leech: bool
    came_from: str  # queue the card came from: new, learning or review


def settings_for(services: Services, exam: str | None) -> SchedulerSettings:
    """The learner's FSRS settings, with the exam's desired retention and exam date if set."""
    s = services.settings
    retention = float(s.get("retention_by_exam", {}).get(exam or "", s["desired_retention"]))
    params = s.get("fsrs_parameters")
    exam_date = None
    raw = s.get("exam_dates", {}).get(exam or "")
    if raw:
        local = datetime.combine(
            date.fromisoformat(raw), time(int(s["rollover_hour"])), local_zone()
        )
        exam_date = local.astimezone(UTC)
    base = SchedulerSettings(desired_retention=retention, exam_date=exam_date)
    return replace(base, parameters=tuple(params)) if params else base


class ReviewSession:
    """One sitting of daily review for one learner."""

    def __init__(
        self,
        services: Services,
        filt: ReviewFilter | None = None,
        *,
        extra_new: int = 0,
        extra_reviews: int = 0,
    ) -> None:
        self.services = services
        self.filter = filt or ReviewFilter()
        self.extra_new = extra_new
        self.extra_reviews = extra_reviews
        self.settings = settings_for(services, self.filter.exam)
        self._scheduler = self.settings.scheduler()
        self._learning: list[tuple[datetime, str]] = []  # heap of (due, item id)
        self._main: list[tuple[str, str]] = []  # (item id, queue name) in order
        self._undo: list[_Undo] = []
        self.answered = 0
        self.build_queue()

    # -- queue -----------------------------------------------------------------------------
    def _scope(self, q: Any) -> Any:
        """Restrict a query over ITEM to the session's filter and live items."""
        q = q.where(ITEM.c.retired.is_(False))
        f = self.filter
        if f.exam or f.section:
            conds = [ITEM_EXAM.c.item_id == ITEM.c.id]
            if f.exam:
                conds.append(ITEM_EXAM.c.exam == f.exam)
            if f.section:
                conds.append(ITEM_EXAM.c.section == f.section)
            q = q.where(sa.exists().where(*conds))
        if f.topic:
            q = q.where(
                sa.exists().where(ITEM_TOPIC.c.item_id == ITEM.c.id, ITEM_TOPIC.c.topic == f.topic)
            )
        return q

    def _done_today(self, conn: Any, day_start: datetime) -> tuple[int, int]:
        """(new cards introduced, reviews of review-state cards) today within the scope."""
        lid = self.services.learner_id
        introduced = conn.execute(
            self._scope(
                sa.select(sa.func.count())
                .select_from(CARD.join(ITEM, ITEM.c.id == CARD.c.item_id))
                .where(CARD.c.learner_id == lid, CARD.c.introduced_at >= day_start)
            )
        ).scalar_one()
        reviewed = conn.execute(
            self._scope(
                sa.select(sa.func.count())
                .select_from(REVIEW_LOG.join(ITEM, ITEM.c.id == REVIEW_LOG.c.item_id))
                .where(
                    REVIEW_LOG.c.learner_id == lid,
                    REVIEW_LOG.c.reviewed_at >= day_start,
                    REVIEW_LOG.c.source == "review",
                    REVIEW_LOG.c.state_before == REVIEW,
                )
            )
        ).scalar_one()
        return int(introduced), int(reviewed)

    def build_queue(self) -> None:
        """Learning cards due now, then reviews by lowest retrievability, new cards interleaved."""
        svc = self.services
        lid = svc.learner_id
        now = svc.clock()
        rollover = int(svc.settings["rollover_hour"])
        day_start = study_day_start(now, rollover)
        day_end = next_study_day(now, rollover)
        active = sa.and_(
            CARD.c.suspended.is_(False),
            sa.or_(CARD.c.buried_until.is_(None), CARD.c.buried_until <= now),
        )
        joined = CARD.join(ITEM, ITEM.c.id == CARD.c.item_id)
        with svc.engine.connect() as conn:
            new_done, rev_done = self._done_today(conn, day_start)
            learning = conn.execute(
                self._scope(
                    sa.select(CARD.c.item_id, CARD.c.due)
                    .select_from(joined)
                    .where(
                        CARD.c.learner_id == lid, CARD.c.state.in_((LEARNING, RELEARNING)), active
                    )
                )
            ).all()
            rev_cap = max(0, int(svc.settings["reviews_per_day"]) + self.extra_reviews - rev_done)
            reviews = conn.execute(
                self._scope(
                    sa.select(CARD.c.item_id, CARD.c.stability, CARD.c.last_review, CARD.c.due)
                    .select_from(joined)
                    .where(
                        CARD.c.learner_id == lid,
                        CARD.c.state == REVIEW,
                        CARD.c.due < day_end,
                        active,
                    )
                    .order_by(CARD.c.due)
                    .limit(max(rev_cap * 4, 1000))
                )
            ).all()
            new_cap = max(0, int(svc.settings["new_per_day"]) + self.extra_new - new_done)
            # never-seen items, and new cards an exam put in line (due set: they go first)
            with_card = ITEM.outerjoin(
                CARD, sa.and_(CARD.c.item_id == ITEM.c.id, CARD.c.learner_id == lid)
            )
            new = (
                conn.execute(
                    self._scope(
                        sa.select(ITEM.c.id)
                        .select_from(with_card)
                        .where(
                            sa.or_(CARD.c.item_id.is_(None), sa.and_(CARD.c.state == NEW, active))
                        )
                        .order_by(CARD.c.due.is_(None), CARD.c.due, ITEM.c.bank_id, ITEM.c.position)
                        .limit(new_cap)
                    )
                ).all()
                if new_cap
                else []
            )
        self._learning = [(r.due, r.item_id) for r in learning]
        heapq.heapify(self._learning)
        scored = sorted(
            reviews,
            key=lambda r: retrievability(
                CardState(state=REVIEW, stability=r.stability, last_review=r.last_review),
                now,
                self.settings,
            ),
        )[:rev_cap]
        rev_ids = [r.item_id for r in scored]
        new_ids = [r.id for r in new]
        self._main = _interleave(rev_ids, new_ids)
        if self.filter.limit is not None:
            room = max(0, self.filter.limit - len(self._learning))
            self._main = self._main[:room]

    def counts(self) -> Counts:
        """Cards left in this session, by queue (like Anki's header)."""
        c = Counts(learning=len(self._learning))
        for _, q in self._main:
            if q == "new":
                c.new += 1
            else:
                c.review += 1
        return c

    # -- cards -----------------------------------------------------------------------------
    def load_card(self, item_id: str) -> StudyCard:
        """One item with its card state and case text."""
        with self.services.engine.connect() as conn:
            row = conn.execute(
                sa.select(ITEM.c.payload, ITEM.c.case_id).where(ITEM.c.id == item_id)
            ).one()
            card = conn.execute(
                sa.select(CARD).where(
                    CARD.c.learner_id == self.services.learner_id, CARD.c.item_id == item_id
                )
            ).first()
            case = (
                conn.execute(
                    sa.select(CASE.c.title, CASE.c.text).where(CASE.c.id == row.case_id)
                ).first()
                if row.case_id
                else None
            )
        item = Item.model_validate(row.payload)
        state = _card_state(card) if card is not None else CardState()
        return StudyCard(
            item,
            state,
            card is not None,
            bool(card.flagged) if card else False,
            bool(card.marked) if card else False,
            case.title if case else None,
            case.text if case else None,
            shown_at=self.services.clock(),
        )

    def next_card(self) -> StudyCard | None:
        """The next card to show, or None when the session is done."""
        now = self.services.clock()
        if self._learning and self._learning[0][0] <= now:
            _, item_id = heapq.heappop(self._learning)
            return self.load_card(item_id)
        if self._main:
            item_id, _ = self._main.pop(0)
            return self.load_card(item_id)
        if self._learning and self._learning[0][0] <= now + LEARN_AHEAD:
            _, item_id = heapq.heappop(self._learning)
            return self.load_card(item_id)
        return None

    def next_learning_due(self) -> datetime | None:
        """When the next learning card comes back (shown when the session is otherwise done)."""
        return self._learning[0][0] if self._learning else None

    def check(self, study: StudyCard, response: list[str]) -> bool | None:
        """Whether the response is right (None for a flashcard)."""
        return is_correct(study.item, response)

    def intervals(self, study: StudyCard) -> dict[Rating, str]:
        """The interval each rating would give now, for the rating keys."""
        return {
            r: format_interval(d)
            for r, d in preview(study.card, self.services.clock(), self.settings).items()
        }

    def rate(
        self, study: StudyCard, rating: Rating, *, duration_ms: int | None = None
    ) -> RateResult:
        """Record a rating: card state and log row in one transaction, before anything else shows."""
        svc = self.services
        now = svc.clock()
        lid = svc.learner_id
        before = study.card
        after = review(before, rating, now, self.settings, scheduler=self._scheduler)
        leech_at = int(svc.settings["leech_lapses"])
        leech = bool(leech_at) and after.lapses >= leech_at and after.lapses > before.lapses
        if duration_ms is None and study.shown_at is not None:
            duration_ms = int((now - study.shown_at).total_seconds() * 1000)
        values = {
            "state": after.state,
            "step": after.step,
            "stability": after.stability,
            "difficulty": after.difficulty,
            "due": after.due,
            "last_review": after.last_review,
            "reps": after.reps,
            "lapses": after.lapses,
        }
        with writing(svc.engine) as conn:
            old = conn.execute(
                sa.select(CARD.c.suspended, CARD.c.leech, CARD.c.introduced_at).where(
                    CARD.c.learner_id == lid, CARD.c.item_id == study.item.id
                )
            ).first()
            if old is None:
                conn.execute(
                    sa.insert(CARD).values(
                        learner_id=lid,
                        item_id=study.item.id,
                        introduced_at=now,
                        leech=leech,
                        suspended=leech,
                        **values,
                    )
                )
            else:
                extra: dict[str, Any] = {"introduced_at": old.introduced_at or now}
                if leech:
                    extra.update(leech=True, suspended=True)
                conn.execute(
                    sa.update(CARD)
                    .where(CARD.c.learner_id == lid, CARD.c.item_id == study.item.id)
                    .values(**values, **extra)
                )
            log_id = conn.execute(
                sa.insert(REVIEW_LOG).values(
                    learner_id=lid,
                    item_id=study.item.id,
                    rating=int(rating),
                    reviewed_at=now,
                    duration_ms=duration_ms,
                    source="review",
                    state_before=before.state,
                    card_before=before.to_dict(),
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        self._undo.append(
            _Undo(
                study.item.id,
                int(log_id),
                before,
                old is not None,
                bool(old.suspended) if old else False,
                bool(old.leech) if old else False,
                study.queue,
            )
        )
        self.answered += 1
        if after.state in (LEARNING, RELEARNING) and not leech and after.due is not None:
            heapq.heappush(self._learning, (after.due, study.item.id))
        interval = format_interval(after.due - now) if after.due else ""
        return RateResult(after, leech, interval)

    def can_undo(self) -> bool:
        return bool(self._undo)

    def put_back(self, study: StudyCard) -> None:
        """Return a card that was shown but not rated to the front of its queue."""
        if study.card.state in (LEARNING, RELEARNING) and study.card.due is not None:
            heapq.heappush(self._learning, (study.card.due, study.item.id))
        else:
            self._main.insert(0, (study.item.id, "new" if study.card.state == NEW else "review"))

    def undo(self, current: StudyCard | None = None) -> StudyCard | None:
        """Take back the last rating: restore the card, delete its log row, show it again.

        ``current`` is the card on screen now; it goes back to the front of its queue.
        """
        if not self._undo:
            return None
        if current is not None:
            self.put_back(current)
        u = self._undo.pop()
        svc = self.services
        lid = svc.learner_id
        with writing(svc.engine) as conn:
            conn.execute(sa.delete(REVIEW_LOG).where(REVIEW_LOG.c.id == u.log_id))
            where = sa.and_(CARD.c.learner_id == lid, CARD.c.item_id == u.item_id)
            if not u.existed:
                conn.execute(sa.delete(CARD).where(where))
            else:
                b = u.before
                conn.execute(
                    sa.update(CARD)
                    .where(where)
                    .values(
                        state=b.state,
                        step=b.step,
                        stability=b.stability,
                        difficulty=b.difficulty,
                        due=b.due,
                        last_review=b.last_review,
                        reps=b.reps,
                        lapses=b.lapses,
                        suspended=u.suspended,
                        leech=u.leech,
                    )
                )
        self._learning = [(d, i) for d, i in self._learning if i != u.item_id]
        heapq.heapify(self._learning)
        self.answered -= 1
        return self.load_card(u.item_id)

    # -- marks -----------------------------------------------------------------------------
    def _set(self, item_id: str, **values: Any) -> None:
        lid = self.services.learner_id
        with writing(self.services.engine) as conn:
            res = conn.execute(
                sa.update(CARD)
                .where(CARD.c.learner_id == lid, CARD.c.item_id == item_id)
                .values(**values)
            )
            if res.rowcount == 0:
                conn.execute(
                    sa.insert(CARD).values(learner_id=lid, item_id=item_id, state=NEW, **values)
                )

    def _drop(self, item_ids: set[str]) -> None:
        self._main = [(i, q) for i, q in self._main if i not in item_ids]
        self._learning = [(d, i) for d, i in self._learning if i not in item_ids]
        heapq.heapify(self._learning)

    def suspend(self, study: StudyCard) -> None:
        """Take the card out of review until the learner unsuspends it."""
        self._set(study.item.id, suspended=True)
        self._drop({study.item.id})

    def bury(self, study: StudyCard, *, siblings: bool = True) -> int:
        """Hide the card (and the other items of its case) until the next study day."""
        now = self.services.clock()
        until = next_study_day(now, int(self.services.settings["rollover_hour"]))
        ids = {study.item.id}
        if siblings and study.item.case:
            with self.services.engine.connect() as conn:
                ids |= {
                    r.id
                    for r in conn.execute(
                        sa.select(ITEM.c.id).where(ITEM.c.case_id == study.item.case)
                    )
                }
        for item_id in sorted(ids):
            self._set(item_id, buried_until=until)
        self._drop(ids)
        return len(ids)

    def toggle_flag(self, study: StudyCard) -> bool:
        study.flagged = not study.flagged
        self._set(study.item.id, flagged=study.flagged)
        return study.flagged

    def toggle_mark(self, study: StudyCard) -> bool:
        study.marked = not study.marked
        self._set(study.item.id, marked=study.marked)
        return study.marked

    def history(self, item_id: str) -> CardHistory:
        """Every past rating of a card with its current stability, difficulty and retrievability."""
        lid = self.services.learner_id
        with self.services.engine.connect() as conn:
            rows = conn.execute(
                sa.select(REVIEW_LOG)
                .where(REVIEW_LOG.c.learner_id == lid, REVIEW_LOG.c.item_id == item_id)
                .order_by(REVIEW_LOG.c.reviewed_at, REVIEW_LOG.c.id)
            ).all()
            card = conn.execute(
                sa.select(CARD).where(CARD.c.learner_id == lid, CARD.c.item_id == item_id)
            ).first()
        state = _card_state(card) if card is not None else CardState()
        return CardHistory(
            item_id,
            state,
            retrievability(state, self.services.clock(), self.settings),
            [
                HistoryEntry(r.reviewed_at, r.rating, r.source, r.duration_ms, r.state_before)
                for r in rows
            ],
        )


def _card_state(row: Any) -> CardState:
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


def _interleave(reviews: list[str], new: list[str]) -> list[tuple[str, str]]:
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
