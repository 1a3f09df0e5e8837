"""Exam answers and review are one memory.

The rule, applied when a mock exam is submitted (with the ``exam_misses_to_review`` setting on):

- A **miss** is a failed recall at the moment of submission, rated Again:
  a card in review lapses (relearning, lapse counted); a card in (re)learning restarts its steps;
  an item never studied is studied now and failed, so it starts in learning. In every case
  it is due at once (the exam was its first step), so it leads the learner's next review
  session, in the learning
  queue, which no daily limit holds back (it is not a new card and uses none of the day's new
  cards). A buried missed card is unburied; a suspended one stays suspended.
- A **correct answer on a known card** (one studied before: learning, review or relearning) is
  a successful recall, rated Good: its stability grows and its next review moves out.
- A correct answer on an item never studied stays a new card: one right answer on a
  multiple-choice question may be a guess, and says nothing about how long it will be kept.
- Unanswered questions change nothing.
- An exam lapse counts in the card's lapses; the leech tag (and its suspension) comes only from
  a lapse in review, where the learner sees the notice.

Each answer that changes a card writes a review-log row with ``source="exam"``, which the
optimizer trains on like any other review.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from certprep.core.scheduling import NEW, CardState, Rating, SchedulerSettings, review
from certprep.services.review.model import card_state, state_values
from certprep.store.tables import CARD, EXAM_ANSWER, EXAM_ATTEMPT, REVIEW_LOG


def exam_answers_to_memory(
    conn: Any,
    lid: int,
    missed: dict[str, float],
    now: datetime,
    settings: SchedulerSettings,
    correct: dict[str, float] | None = None,
) -> int:
    """Apply the module's rule to an attempt's answers; returns how many misses went to review.

    ``missed`` and ``correct`` map item id to seconds spent. When ``correct`` is None, the
    correct answers are read from the attempt this learner submitted at ``now`` (the caller's
    transaction has just marked it submitted)."""
    if correct is None:
        correct = _correct_answers(conn, lid, now)
    correct = {k: v for k, v in correct.items() if k not in missed}
    ids = list(missed) + list(correct)
    if not ids:
        return 0
    cards = {
        r.item_id: r
        for r in conn.execute(
            sa.select(CARD).where(CARD.c.learner_id == lid, CARD.c.item_id.in_(ids))
        )
    }
    scheduler = settings.scheduler()
    answers = [(i, s, Rating.AGAIN) for i, s in missed.items()]
    answers += [(i, s, Rating.GOOD) for i, s in correct.items()]
    for item_id, spent, rating in answers:
        row = cards.get(item_id)
        before = card_state(row) if row is not None else CardState()
        if rating == Rating.GOOD and before.state == NEW:
            continue  # maybe a guess: the item stays new
        after = review(before, rating, now, settings, scheduler=scheduler)
        values: dict[str, Any] = state_values(after)
        if rating == Rating.AGAIN:
            values["buried_until"] = None
            # the exam was the first step: due at once, first in the next session
            values["due"] = min(values.get("due") or now, now)
        if row is None:
            conn.execute(
                sa.insert(CARD).values(learner_id=lid, item_id=item_id, introduced_at=now, **values)
            )
        else:
            if row.introduced_at is None:
                values["introduced_at"] = now
            conn.execute(
                sa.update(CARD)
                .where(CARD.c.learner_id == lid, CARD.c.item_id == item_id)
                .values(**values)
            )
        conn.execute(
            sa.insert(REVIEW_LOG).values(
                learner_id=lid,
                item_id=item_id,
                rating=int(rating),
                reviewed_at=now,
                duration_ms=int(spent * 1000),
                source="exam",
                state_before=before.state,
                card_before=before.to_dict(),
            )
        )
    return len(missed)


def _correct_answers(conn: Any, lid: int, now: datetime) -> dict[str, float]:
    """Item id -> seconds spent, for the correct answers of the attempt submitted at ``now``."""
    attempt = conn.execute(
        sa.select(EXAM_ATTEMPT.c.id)
        .where(
            EXAM_ATTEMPT.c.learner_id == lid,
            EXAM_ATTEMPT.c.status == "submitted",
            EXAM_ATTEMPT.c.submitted_at == now,
        )
        .order_by(EXAM_ATTEMPT.c.id.desc())
        .limit(1)
    ).scalar()
    if attempt is None:
        return {}
    out: dict[str, float] = {}
    for r in conn.execute(
        sa.select(EXAM_ANSWER.c.item_id, EXAM_ANSWER.c.time_spent_s)
        .where(EXAM_ANSWER.c.attempt_id == attempt, EXAM_ANSWER.c.correct.is_(True))
        .order_by(EXAM_ANSWER.c.position)
    ):
        out.setdefault(r.item_id, float(r.time_spent_s or 0))
    return out
