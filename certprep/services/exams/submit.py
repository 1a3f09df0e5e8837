"""Submitting: score the attempt and hand its misses to daily review, in one transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from certprep.core.grading import credit, is_correct
from certprep.core.models import Blueprint, Item
from certprep.core.scoring import Score, ScoredAnswer, score
from certprep.services.review import exam_answers_to_memory, settings_for
from certprep.store.engine import writing
from certprep.store.tables import (
    EXAM_ANSWER,
    EXAM_ATTEMPT,
    ITEM,
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
            right: dict[str, float] = {}
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
                share = (
                    credit(item, list(a.response)) if item.partial_credit and a.response else None
                )
                scored.append(ScoredAnswer(a.section, correct, bool(a.pretest), spent, share))
                if correct is False:
                    missed.setdefault(a.item_id, spent)
                elif correct is True:
                    right.setdefault(a.item_id, spent)
            bp = Blueprint.model_validate(row.blueprint)
            result = score(bp, scored, time_used_s=used, time_limit_s=row.time_limit_s)
            conn.execute(
                sa.update(EXAM_ATTEMPT)
                .where(EXAM_ATTEMPT.c.id == attempt_id)
                .values(status=SUBMITTED, submitted_at=now, result=result.to_dict())
            )
            if to_review:  # every answer is evidence, a perfect attempt's too
                sent = exam_answers_to_memory(conn, lid, missed, now, sched, correct=right)
        return Result(attempt_id, result, sent)
