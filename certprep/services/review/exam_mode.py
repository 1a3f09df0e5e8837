"""Exam-date mode: every card of an exam's pool at or above an exam-day target retention
(0.95 by default) on exam day, when the workload allows, and what that costs, shown first.

Setting ``exam_mode``: {exam key: target}. It needs the exam's date (``exam_dates``). While it is
on, each rating of a card of that exam schedules its next review with ``pull_before_exam``, and
switching it on (or changing the date) pulls the cards already scheduled (``reschedule``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import sqlalchemy as sa

from certprep.core.exam_mode import Comparison, compare
from certprep.core.problems import InputError
from certprep.core.scheduling import REVIEW, pull_before_exam
from certprep.services.review.limits import settings_for
from certprep.services.review.model import card_state
from certprep.services.settings import exam_day_start
from certprep.store.engine import writing
from certprep.store.tables import CARD, ITEM, ITEM_EXAM

if TYPE_CHECKING:
    from certprep.services.services import Services

DEFAULT_TARGET = 0.95
SAMPLE = 2000  # cards simulated for the preview; counts are scaled to the whole pool


@dataclass(frozen=True)
class ExamModePreview:
    """What turning the mode on would do, for the screen that offers it."""

    exam: str
    target: float
    days_left: float
    cards: int  # studied cards of the pool (the ones the mode can keep up)
    unseen: int  # items of the pool never studied (no memory to keep)
    reviews_per_day_without: float
    reviews_per_day_with: float
    retention_without: float  # mean predicted recall on exam day, over the studied cards
    retention_with: float
    at_target_without: float  # share of studied cards at or above the target on exam day
    at_target_with: float


def _check(services: Services, exam: str, target: float) -> None:
    if not 0.7 <= target <= 0.99:
        raise InputError("exam-day target retention: a number from 0.70 to 0.99")
    start = exam_day_start(services, exam)
    if start is None:
        raise InputError(f"set the {exam.upper()} exam date first: exam-date mode counts to it")
    if start <= services.clock():
        raise InputError(f"the {exam.upper()} exam date has passed; set the next one first")


def preview_exam_mode(
    services: Services, exam: str, target: float = DEFAULT_TARGET, *, seed: int = 0
) -> ExamModePreview:
    """Reviews per day and exam-day recall from now to the exam, without and with the mode,
    simulated on the learner's own cards (a sample of up to 2000). Raises InputError when the
    exam has no future date or the target is out of range."""
    _check(services, exam, target)
    now = services.clock()
    settings = replace(settings_for(services, exam), exam_date=exam_day_start(services, exam))
    exam_at = settings.exam_date
    assert exam_at is not None
    lid = services.learner_id
    pool = sa.exists().where(ITEM_EXAM.c.item_id == CARD.c.item_id, ITEM_EXAM.c.exam == exam)
    with services.engine.connect() as conn:
        rows = conn.execute(
            sa.select(CARD)
            .where(CARD.c.learner_id == lid, CARD.c.state > 0, CARD.c.suspended.is_(False), pool)
            .order_by(CARD.c.item_id)
        ).all()
        items = conn.execute(
            sa.select(sa.func.count(sa.distinct(ITEM_EXAM.c.item_id)))
            .select_from(ITEM_EXAM.join(ITEM, ITEM.c.id == ITEM_EXAM.c.item_id))
            .where(ITEM_EXAM.c.exam == exam, ITEM.c.retired.is_(False))
        ).scalar_one()
    cards = [card_state(r) for r in rows]
    sample = random.Random(seed).sample(cards, SAMPLE) if len(cards) > SAMPLE else cards
    c: Comparison = compare(sample, now, exam_at, settings, target, seed=seed)
    scale = len(cards) / len(sample) if sample else 0.0
    return ExamModePreview(
        exam,
        target,
        (exam_at - now).total_seconds() / 86400,
        len(cards),
        max(0, int(items) - len(cards)),
        c.without.reviews_per_day * scale,
        c.with_mode.reviews_per_day * scale,
        c.without.mean_retention,
        c.with_mode.mean_retention,
        c.without.share_at_target,
        c.with_mode.share_at_target,
    )


def set_exam_mode(services: Services, exam: str, target: float | None = DEFAULT_TARGET) -> int:
    """Turn exam-date mode on for the exam (target retention on exam day), or off with None.
    Turning it on pulls the cards already scheduled; returns how many were moved."""
    modes = dict(services.settings.get("exam_mode", {}))
    if target is None:
        modes.pop(exam, None)
        services.update_settings(exam_mode=modes)
        return 0
    _check(services, exam, target)
    modes[exam] = float(target)
    services.update_settings(exam_mode=modes)
    return reschedule(services, exam)


def reschedule(services: Services, exam: str) -> int:
    """Pull every card of the exam's pool in review whose next review would leave it below the
    exam-day target on exam day; returns how many moved. Nothing when the mode is off."""
    settings = settings_for(services, exam)
    if settings.exam_date is None or settings.exam_retention is None:
        return 0
    lid = services.learner_id
    pool = sa.exists().where(ITEM_EXAM.c.item_id == CARD.c.item_id, ITEM_EXAM.c.exam == exam)
    moved = 0
    with writing(services.engine) as conn:
        rows = conn.execute(
            sa.select(CARD).where(CARD.c.learner_id == lid, CARD.c.state == REVIEW, pool)
        ).all()
        for r in rows:
            c = card_state(r)
            if c.due is None or c.last_review is None:
                continue
            due = pull_before_exam(c.stability, c.last_review, c.due, settings)
            if due < c.due:
                moved += 1
                conn.execute(
                    sa.update(CARD)
                    .where(CARD.c.learner_id == lid, CARD.c.item_id == r.item_id)
                    .values(due=due)
                )
    return moved


def reschedule_all(services: Services) -> int:
    """``reschedule`` every exam in exam-date mode (after its date, zone or rollover changed)."""
    return sum(reschedule(services, e) for e in services.settings.get("exam_mode", {}))
