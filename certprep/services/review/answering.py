"""Answering in review: checking, rating (card and log row in one transaction), undo, history.

Undo takes back any review action (a rating, suspend, bury, flag, mark): each action records
every column of the card rows it changes before it changes them, and undo writes them back
as they were, ``introduced_at`` and the marks included, and deletes the log row a rating wrote.
"""

from __future__ import annotations

import heapq
from typing import Any

import sqlalchemy as sa

from certprep.core.grading import is_correct
from certprep.core.scheduling import (
    LEARNING,
    RELEARNING,
    CardState,
    Rating,
    format_interval,
    preview,
    retrievability,
    review,
)
from certprep.services.review.limits import naive
from certprep.services.review.model import (
    CardHistory,
    HistoryEntry,
    RateResult,
    StudyCard,
    UndoStep,
    card_state,
    restore,
    snapshot,
    state_values,
)
from certprep.services.review.queue import QueueSession
from certprep.store.direct import Direct
from certprep.store.engine import writing
from certprep.store.tables import CARD, REVIEW_LOG

# the rating's statements, built once and run directly on SQLite (store.direct)
INSERT_CARD = Direct(sa.insert(CARD))
INSERT_LOG = Direct(sa.insert(REVIEW_LOG))
# its SET clause is the state columns passed (all of them: CARD_COLUMNS)
UPDATE_CARD = Direct(
    sa.update(CARD).where(
        CARD.c.learner_id == sa.bindparam("b_lid"), CARD.c.item_id == sa.bindparam("b_item")
    )
)
# a first rating's card: the columns a new row would otherwise take from their defaults
NEW_CARD: dict[str, Any] = {
    "buried_until": None,
    "flagged": False,
    "marked": False,
    "leech": False,
    "suspended": False,
}


class AnsweringSession(QueueSession):
    """Rating and undo for a review session."""

    def check(self, study: StudyCard, response: list[str]) -> bool | None:
        """Whether the response is right (None for a flashcard)."""
        return is_correct(study.item, response)

    def intervals(self, study: StudyCard) -> dict[Rating, str]:
        """The interval each rating would give now, for the rating keys."""
        settings = self.settings_for_item(study.item.id)
        return {
            r: format_interval(d)
            for r, d in preview(study.card, self.services.clock(), settings).items()
        }

    def rate(
        self, study: StudyCard, rating: Rating, *, duration_ms: int | None = None
    ) -> RateResult:
        """Record a rating: card state and log row in one transaction, before anything else shows."""
        svc = self.services
        now = svc.clock()
        lid = svc.learner_id
        before = study.card
        settings = self.settings_for_item(study.item.id)
        sched = self._scheduler if settings is self.settings else None
        after = review(before, rating, now, settings, scheduler=sched)
        leech_at = int(svc.settings["leech_lapses"])
        leech = bool(leech_at) and after.lapses >= leech_at and after.lapses > before.lapses
        if duration_ms is None and study.shown_at is not None:
            duration_ms = int((now - study.shown_at).total_seconds() * 1000)
        values = state_values(after)
        with writing(svc.engine) as conn:
            rows = snapshot(conn, lid, [study.item.id])
            old = rows[study.item.id]
            extra: dict[str, Any] = {}
            if leech:
                extra.update(leech=True, suspended=True)
            if old is None:
                INSERT_CARD.write(
                    conn,
                    {
                        "learner_id": lid,
                        "item_id": study.item.id,
                        **NEW_CARD,
                        "introduced_at": now,
                        **extra,
                        **values,
                    },
                )
            else:
                if old["introduced_at"] is None:
                    extra["introduced_at"] = now
                # every state column written (the row as it was, then the rating's changes):
                # one statement, compiled once
                UPDATE_CARD.write(
                    conn, {**old, **values, **extra, "b_lid": lid, "b_item": study.item.id}
                )
            log_id = INSERT_LOG.write(
                conn,
                {
                    "learner_id": lid,
                    "item_id": study.item.id,
                    "rating": int(rating),
                    "reviewed_at": now,
                    "duration_ms": duration_ms,
                    "source": "review",
                    "state_before": before.state,
                    "card_before": before.to_dict(),
                },
            )
        self._undo.append(UndoStep("rating", rows, study.item.id, int(log_id)))
        self.answered += 1
        if after.state in (LEARNING, RELEARNING) and not leech and after.due is not None:
            heapq.heappush(self._learning, (naive(after.due), study.item.id))
        interval = format_interval(after.due - now) if after.due else ""
        return RateResult(after, leech, interval)

    def can_undo(self) -> bool:
        return bool(self._undo)

    def undo_label(self) -> str | None:
        """What ``undo`` would take back, in words ("the last answer was taken back")."""
        return self._undo[-1].label if self._undo else None

    def undo(self, current: StudyCard | None = None) -> StudyCard | None:
        """Take back the last review action (rating, suspend, bury, flag or mark): every column
        of the cards it changed goes back as it was; a rating's log row is deleted. Returns the
        card to show again.

        ``current`` is the card on screen now; it goes back to the front of its queue (unless it
        is the card the undo brings back).
        """
        if not self._undo:
            return None
        u = self._undo.pop()
        if current is not None and current.item.id != u.show:
            self.put_back(current)
        svc = self.services
        with writing(svc.engine) as conn:
            if u.log_id is not None:
                conn.execute(sa.delete(REVIEW_LOG).where(REVIEW_LOG.c.id == u.log_id))
            restore(conn, svc.learner_id, u.rows)
        self._drop(set(u.rows))
        self._main.extendleft(reversed([e for e in u.requeue if e[0] != u.show]))
        if u.kind == "rating":
            self.answered -= 1
        return self.load_card(u.show) if u.show else None

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
        state = card_state(card) if card is not None else CardState()
        return CardHistory(
            item_id,
            state,
            retrievability(state, self.services.clock(), self.settings),
            [
                HistoryEntry(r.reviewed_at, r.rating, r.source, r.duration_ms, r.state_before)
                for r in rows
            ],
        )
