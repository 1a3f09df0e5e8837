"""Submitting: score the attempt and hand its misses to daily review, in one transaction."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from certprep.core.grading import is_correct
from certprep.core.models import Blueprint, Item
from certprep.core.scheduling import NEW, CardState, Rating, review
from certprep.core.scoring import Score, ScoredAnswer, score
from certprep.services.review import _card_state, settings_for
from certprep.store.engine import writing
from certprep.store.tables import (
    CARD,
    EXAM_ANSWER,
    EXAM_ATTEMPT,
    ITEM,
    REVIEW_LOG,
)

if TYPE_CHECKING:
    from certprep.services.services import Services

from certprep.services.exams.attempt import ExamAttemptOps
from certprep.services.exams.views import (
    SUBMITTED,
    Result,
)


class ExamSubmit(ExamAttemptOps):
    """Submit and the misses-to-review hand-off."""

    services: Services

    # -- submitting ------------------------------------------------------------------------
    def submit(self, attempt_id: int) -> Result:
        """Score the attempt, store the result and (if the setting is on) send misses to review.

        All in one transaction. Submitting twice returns the stored result.
        """
        svc = self.services
        lid = svc.learner_id
        now = svc.clock()
        to_review = bool(svc.settings.get("exam_misses_to_review", True))
        with svc.engine.connect() as conn:
            key = self._attempt(conn, attempt_id).blueprint_key
        sched = settings_for(svc, key)
        sent = 0
        with writing(svc.engine) as conn:
            row = self._attempt(conn, attempt_id)
            if row.status == SUBMITTED:
                return Result(attempt_id, Score.from_dict(row.result or {}))
            used = self._spend(conn, row, now)
            rows = conn.execute(
                sa.select(EXAM_ANSWER, ITEM.c.payload)
                .select_from(EXAM_ANSWER.join(ITEM, ITEM.c.id == EXAM_ANSWER.c.item_id))
                .where(EXAM_ANSWER.c.attempt_id == attempt_id)
                .order_by(EXAM_ANSWER.c.position)
            ).all()
            scored: list[ScoredAnswer] = []
            missed: dict[str, float] = {}
            for a in rows:
                item = Item.model_validate(a.payload)
                correct = is_correct(item, list(a.response)) if a.response else None
                spent = float(a.time_spent_s) + (
                    used - float(row.time_used_s) if a.position == row.position else 0.0
                )
                if correct != a.correct:
                    conn.execute(
                        sa.update(EXAM_ANSWER)
                        .where(
                            EXAM_ANSWER.c.attempt_id == attempt_id,
                            EXAM_ANSWER.c.position == a.position,
                        )
                        .values(correct=correct)
                    )
                scored.append(ScoredAnswer(a.section, correct, bool(a.pretest), spent))
                if correct is False:
                    missed.setdefault(a.item_id, spent)
            bp = Blueprint.model_validate(row.blueprint)
            result = score(bp, scored, time_used_s=used, time_limit_s=row.time_limit_s)
            conn.execute(
                sa.update(EXAM_ATTEMPT)
                .where(EXAM_ATTEMPT.c.id == attempt_id)
                .values(status=SUBMITTED, submitted_at=now, result=result.to_dict())
            )
            if to_review and missed:
                sent = self._misses_to_review(conn, lid, missed, now, sched)
        return Result(attempt_id, result, sent)

    def _misses_to_review(
        self,
        conn: Connection,
        lid: int,
        missed: dict[str, float],
        now: datetime,
        settings: Any,
    ) -> int:
        """A seen card is reviewed as Again; an unseen one becomes new and due now."""
        cards = {
            r.item_id: r
            for r in conn.execute(
                sa.select(CARD).where(CARD.c.learner_id == lid, CARD.c.item_id.in_(list(missed)))
            )
        }
        scheduler = settings.scheduler()
        for item_id, spent in missed.items():
            card = cards.get(item_id)
            before = _card_state(card) if card is not None else CardState()
            where = sa.and_(CARD.c.learner_id == lid, CARD.c.item_id == item_id)
            if card is None:
                conn.execute(
                    sa.insert(CARD).values(learner_id=lid, item_id=item_id, state=NEW, due=now)
                )
            elif card.state == NEW:
                conn.execute(sa.update(CARD).where(where).values(due=now))
            else:
                after = review(before, Rating.AGAIN, now, settings, scheduler=scheduler)
                conn.execute(
                    sa.update(CARD)
                    .where(where)
                    .values(
                        state=after.state,
                        step=after.step,
                        stability=after.stability,
                        difficulty=after.difficulty,
                        due=after.due,
                        last_review=after.last_review,
                        reps=after.reps,
                        lapses=after.lapses,
                    )
                )
            conn.execute(
                sa.insert(REVIEW_LOG).values(
                    learner_id=lid,
                    item_id=item_id,
                    rating=int(Rating.AGAIN),
                    reviewed_at=now,
                    duration_ms=int(spent * 1000),
                    source="exam",
                    state_before=before.state,
                    card_before=before.to_dict(),
                )
            )
        return len(missed)
