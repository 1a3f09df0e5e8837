"""The FSRS policy around ``fsrs.Scheduler``: card states, ratings, intervals, exam-date mode.

Everything here is a function of data: no database, no clock of its own (callers pass ``now``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from enum import IntEnum
from typing import Any

import fsrs

NEW, LEARNING, REVIEW, RELEARNING = 0, 1, 2, 3
STATE_NAMES = {NEW: "new", LEARNING: "learning", REVIEW: "review", RELEARNING: "relearning"}


class Rating(IntEnum):
    """Anki's four buttons, keys 1–4."""

    AGAIN = 1
    HARD = 2
    GOOD = 3
    EASY = 4


@dataclass(frozen=True)
class CardState:
    """FSRS memory state of one card; ``state`` 0 means never studied."""

    state: int = NEW
    step: int | None = None
    stability: float | None = None
    difficulty: float | None = None
    due: datetime | None = None
    last_review: datetime | None = None
    reps: int = 0
    lapses: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, for the review log's undo snapshot."""
        # field by field (``asdict`` deep-copies: a tenth of an answer's time)
        return {
            "state": self.state,
            "step": self.step,
            "stability": self.stability,
            "difficulty": self.difficulty,
            "due": self.due.isoformat() if self.due else None,
            "last_review": self.last_review.isoformat() if self.last_review else None,
            "reps": self.reps,
            "lapses": self.lapses,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CardState:
        """Inverse of to_dict."""
        d = dict(d)
        for k in ("due", "last_review"):
            d[k] = datetime.fromisoformat(d[k]) if d.get(k) else None
        fields = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        return cls(**fields)


@dataclass(frozen=True)
class SchedulerSettings:
    """The learner's FSRS settings (FSRS-6, 21 parameters)."""

    desired_retention: float = 0.90
    learning_steps_min: tuple[float, ...] = (1.0, 10.0)
    relearning_steps_min: tuple[float, ...] = (10.0,)
    maximum_interval_days: int = 36500
    fuzz: bool = True
    parameters: tuple[float, ...] = field(
        default_factory=lambda: tuple(fsrs.Scheduler().parameters)
    )
    exam_date: datetime | None = None  # UTC start of the exam day, in exam-date mode
    exam_retention: float | None = None  # exam-date mode's target recall on exam day (0.95)
    # the learner's zone: a review interval of N days ends at the same local time N days on
    zone: tzinfo | None = None

    def scheduler(self) -> fsrs.Scheduler:
        return fsrs.Scheduler(
            parameters=self.parameters,
            desired_retention=self.desired_retention,
            learning_steps=tuple(timedelta(minutes=m) for m in self.learning_steps_min),
            relearning_steps=tuple(timedelta(minutes=m) for m in self.relearning_steps_min),
            maximum_interval=self.maximum_interval_days,
            enable_fuzzing=self.fuzz,
        )


def _to_fsrs(card: CardState) -> fsrs.Card:
    if card.state == NEW:
        return fsrs.Card(card_id=1, state=fsrs.State.Learning, step=0)
    return fsrs.Card(
        card_id=1,
        state=fsrs.State(card.state),
        step=card.step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=card.due,
        last_review=card.last_review,
    )


def retrievability(
    card: CardState, at: datetime, settings: SchedulerSettings | None = None
) -> float:
    """Predicted probability of recall at ``at`` (0 for a card never studied)."""
    if card.stability is None or card.last_review is None:
        return 0.0
    decay = -(settings.parameters if settings else fsrs.Scheduler().parameters)[20]
    factor = 0.9 ** (1 / decay) - 1
    elapsed = max(0.0, (at - card.last_review).total_seconds() / 86400)
    return float((1 + factor * elapsed / card.stability) ** decay)


def review(
    card: CardState,
    rating: Rating,
    now: datetime,
    settings: SchedulerSettings,
    *,
    scheduler: fsrs.Scheduler | None = None,
) -> CardState:
    """The card's state after ``rating`` at ``now``. Pure but for fsrs's fuzz."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (UTC)")
    sched = scheduler or settings.scheduler()
    new, _log = sched.review_card(_to_fsrs(card), fsrs.Rating(int(rating)), now)
    lapses = card.lapses + (1 if card.state == REVIEW and rating == Rating.AGAIN else 0)
    due = new.due
    if settings.zone is not None and int(new.state) == REVIEW:
        due = days_on_the_wall_clock(now, due, settings.zone)
    if settings.exam_date is not None:
        due = pull_before_exam(new.stability, now, due, settings)
    return CardState(
        state=int(new.state),
        step=new.step,
        stability=new.stability,
        difficulty=new.difficulty,
        due=due,
        last_review=now,
        reps=card.reps + 1,
        lapses=lapses,
    )


def days_on_the_wall_clock(now: datetime, due: datetime, zone: tzinfo) -> datetime:
    """A review interval counts days, as Anki's do: ``due`` (``now`` plus whole days) moved to the
    same local time that many days on. Plain 24-hour days would move it an hour across a DST
    change, and an hour after the study day's rollover, into the study day before: a card rated
    "1d" on the eve of the autumn change would be due again the same day."""
    days = round((due - now) / timedelta(days=1))
    if days < 1 or abs(due - now - timedelta(days=days)) > timedelta(minutes=1):
        return due  # not a whole number of days: leave it as the scheduler gave it
    return (now.astimezone(zone) + timedelta(days=days)).astimezone(UTC)


def exam_keep_days(stability: float, target: float, parameters: tuple[float, ...]) -> float:
    """How long after a review a card of this stability stays at or above ``target`` recall."""
    decay = -parameters[20]
    factor = 0.9 ** (1 / decay) - 1
    return float(stability / factor * (target ** (1 / decay) - 1))


def pull_before_exam(
    stability: float | None, now: datetime, due: datetime, settings: SchedulerSettings
) -> datetime:
    """Exam-date mode: the due time after a review at ``now``, so that the card is at or above
    the exam-day target retention on exam day.

    If the stability the review left lasts past the exam at the target (recall at the exam
    >= ``exam_retention``), the normal due stays. Otherwise the next review comes no later than
    ``exam - keep(stability)``: reviewed then (and recalled, which only raises stability), the
    card is still at the target when the exam starts. Each card needs at most about one extra
    review for this, in the weeks before the exam; cards too weak to get there (lapsed the day
    before) are reviewed as often as their steps allow."""
    exam, target = settings.exam_date, settings.exam_retention
    if exam is None or target is None or stability is None or now >= exam:
        return due
    keep = timedelta(days=exam_keep_days(stability, target, settings.parameters))
    if now + keep >= exam:
        return due
    return min(due, exam - keep)


def preview(card: CardState, now: datetime, settings: SchedulerSettings) -> dict[Rating, timedelta]:
    """The interval each rating would give, without fuzz (shown on the rating keys)."""
    no_fuzz = replace(settings, fuzz=False)
    sched = no_fuzz.scheduler()
    return {r: review(card, r, now, no_fuzz, scheduler=sched).due - now for r in Rating}  # type: ignore[operator]


def format_interval(delta: timedelta) -> str:
    """Anki-style short interval: 45s, 10m, 3h, 4d, 2.5mo, 1.2y."""
    secs = max(0.0, delta.total_seconds())
    if secs < 60:
        return f"{math.ceil(secs)}s"
    if secs < 3600:
        return f"{round(secs / 60)}m"
    if secs < 23 * 3600:  # a day across a DST change is 23 or 25 hours: still "1d"
        return f"{round(secs / 3600)}h"
    days = secs / 86400
    if days < 30:
        return f"{round(days)}d"
    if days < 365:
        return f"{days / 30:.1f}mo"
    return f"{days / 365:.1f}y"


def default_rating(correct: bool) -> Rating:
    """A wrong answer is Again, a right one Good, unless the learner changes it."""
    return Rating.GOOD if correct else Rating.AGAIN


def now_utc() -> datetime:
    return datetime.now(UTC)
