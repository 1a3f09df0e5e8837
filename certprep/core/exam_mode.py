"""What exam-date mode costs and buys: a simulation of cards from now to the exam, each way.

The learner is modelled as FSRS models memory: a review at time t is recalled with probability
R(t) (the card's retrievability), a lapse is relearned the same day. Reviews happen in one
session per study day, at the start of the day the card falls due (the queue offers every card
due before the day ends). With the mode on, every review is scheduled with
``pull_before_exam`` and, when the mode is switched on, cards already scheduled are pulled the
same way (what ``reschedule`` does in the service).
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from certprep.core.scheduling import (
    NEW,
    REVIEW,
    CardState,
    Rating,
    SchedulerSettings,
    pull_before_exam,
    retrievability,
    review,
)

DAY = timedelta(days=1)


@dataclass(frozen=True)
class Outcome:
    """One way of scheduling, simulated: workload in the window and recall on exam day."""

    cards: int
    reviews: int  # reviews from ``start`` to the exam
    days: float
    mean_retention: float  # mean predicted recall over the cards at the exam
    share_at_target: float  # share of cards at or above the target on exam day

    @property
    def reviews_per_day(self) -> float:
        return self.reviews / self.days if self.days > 0 else 0.0


@dataclass(frozen=True)
class Comparison:
    """Exam-date mode off and on, over the same cards, the same learner, the same luck."""

    target: float
    without: Outcome
    with_mode: Outcome

    @property
    def extra_reviews_per_day(self) -> float:
        return self.with_mode.reviews_per_day - self.without.reviews_per_day


def _session(at: datetime, origin: datetime) -> datetime:
    """The start of the study day containing ``at`` (days counted from ``origin``)."""
    return origin + DAY * ((at - origin) // DAY)


def simulate_card(
    card: CardState,
    start: datetime,
    exam: datetime,
    settings: SchedulerSettings,
    rng: random.Random,
    *,
    mode_from: datetime | None = None,
    origin: datetime | None = None,
    intro: datetime | None = None,
) -> tuple[CardState, list[datetime]]:
    """One card from ``start`` to the exam: its state at the exam and the times it was reviewed.

    ``mode_from``: exam-date mode is on from then (None: never). ``intro``: when a NEW card is
    first studied (default ``start``). ``origin`` anchors the study days (default ``start``).
    """
    origin = origin or start
    # the simulation counts days of 24 hours from ``origin`` (``_session``): no wall clock
    plain = replace(settings, exam_date=None, exam_retention=None, zone=None)
    moded = replace(settings, exam_date=exam, zone=None)
    sched = plain.scheduler()
    times: list[datetime] = []
    switched = mode_from is None or mode_from > exam
    t = intro or start
    while True:
        if card.state == NEW:
            at = t
        elif card.state == REVIEW:
            due, last = card.due, card.last_review
            assert due is not None and last is not None
            if not switched and mode_from is not None and due > mode_from:
                switched = True  # the mode is switched on: cards already scheduled are pulled
                due = pull_before_exam(card.stability, last, due, moded)
                card = replace(card, due=due)
            at = max(_session(due, origin), _session(last, origin) + DAY, start)
        else:
            assert card.due is not None
            at = max(card.due, t)
        if at >= exam:
            return card, times
        on = mode_from is not None and at >= mode_from
        if card.state == REVIEW:
            recalled = rng.random() < retrievability(card, at, settings)
            rating = Rating.GOOD if recalled else Rating.AGAIN
        else:
            rating = Rating.GOOD  # first sight and (re)learning steps: learned in the session
        card = review(card, rating, at, moded if on else plain, scheduler=sched)
        times.append(at)
        t = at


def outcome(
    finals: Iterable[tuple[CardState, list[datetime]]],
    start: datetime,
    exam: datetime,
    settings: SchedulerSettings,
    target: float,
) -> Outcome:
    """Workload from ``start`` to the exam and recall on exam day over simulated cards."""
    n = reviews = at_target = 0
    total = 0.0
    for card, times in finals:
        n += 1
        reviews += sum(1 for t in times if t >= start)
        r = retrievability(card, exam, settings)
        total += r
        at_target += r >= target
    days = (exam - start) / DAY
    return Outcome(n, reviews, days, total / n if n else 0.0, at_target / n if n else 0.0)


def compare(
    cards: list[CardState],
    start: datetime,
    exam: datetime,
    settings: SchedulerSettings,
    target: float,
    *,
    seed: int = 0,
) -> Comparison:
    """Simulate the cards from ``start`` to the exam with the mode off and on (same seed)."""
    s = replace(settings, fuzz=False, exam_retention=target)
    ways = []
    for mode_from in (None, start):
        rng = random.Random(seed)
        finals = [simulate_card(c, start, exam, s, rng, mode_from=mode_from) for c in cards]
        ways.append(outcome(finals, start, exam, s, target))
    return Comparison(target, ways[0], ways[1])
