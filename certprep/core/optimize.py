"""Fit FSRS parameters to a learner's review log with fsrs-rs-python (Rust, no torch).

The log is split by time: parameters are fitted on the older 80 % of the reviews and both the
current and the fitted parameters are scored on the newest 20 %, which they have not seen. The
new parameters are kept only if they predict that held-out part better.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import TypeVar

from certprep.core.studyday import study_day_number

T = TypeVar("T")


def _pair(rating: int, delta: int) -> tuple[int, int]:
    return (rating, delta)


MIN_REVIEWS = 400
MIN_DAYS = 4
TEST_SHARE = 0.2


@dataclass(frozen=True)
class LogEntry:
    card: str
    reviewed_at: datetime
    rating: int


@dataclass
class OptimizeResult:
    """What an optimisation found and whether its parameters should be kept."""

    enough: bool
    message: str
    reviews: int = 0
    days: int = 0
    train_items: int = 0
    test_items: int = 0
    before_log_loss: float | None = None
    before_rmse: float | None = None
    after_log_loss: float | None = None
    after_rmse: float | None = None
    parameters: list[float] | None = None

    @property
    def better(self) -> bool:
        return (
            self.parameters is not None
            and self.after_log_loss is not None
            and self.before_log_loss is not None
            and self.after_log_loss < self.before_log_loss
        )


def _day(ts: datetime, rollover_hour: int, zone: tzinfo) -> int:
    """The learner's study day of ``ts``: local time, rolling over at ``rollover_hour``."""
    return study_day_number(ts, rollover_hour, zone)


def build_items(
    logs: Iterable[LogEntry],
    rollover_hour: int = 4,
    since: datetime | None = None,
    zone: tzinfo = UTC,
) -> list[tuple[datetime, list[tuple[int, int]]]]:
    """One training item per review after a card's first: its history as (rating, days since
    the previous review), with the time of its last review for the time-ordered split.
    Several reviews of a card on one study day (in the learner's ``zone``) count as same-day
    steps (delta 0). With
    ``since``, only reviews from then on become items (their histories stay whole).
    (``optimize`` itself uses ``day_items``: the same items from study-day numbers.)"""
    by_card: dict[str, list[LogEntry]] = defaultdict(list)
    for entry in logs:
        by_card[entry.card].append(entry)
    items: list[tuple[datetime, list[tuple[int, int]]]] = []
    for entries in by_card.values():
        entries.sort(key=lambda e: e.reviewed_at)
        history: list[tuple[int, int]] = []
        prev_day: int | None = None
        for e in entries:
            day = _day(e.reviewed_at, rollover_hour, zone)
            delta = 0 if prev_day is None else day - prev_day
            history.append((e.rating, delta))
            prev_day = day
            # an item predicts its last review, which must come on a later day than the one before
            # every card's first interval is kept: fsrs-rs fits the initial stabilities on them
            recent = since is None or e.reviewed_at >= since or len(history) == 2
            if len(history) >= 2 and delta > 0 and recent:
                items.append((e.reviewed_at, list(history)))
    items.sort(key=lambda it: it[0])
    return items


def day_items(
    reviews: Iterable[tuple[str, int, int]],
    step: Callable[[int, int], T] = _pair,  # type: ignore[assignment]
) -> list[list[T]]:
    """``build_items`` in one pass over (card, study day, rating) in time order: each review
    after a card's first on a later day gives an item, the card's history so far as
    ``step(rating, days since the previous review)`` (a pair by default; one object per review,
    shared by the card's later items); items come out in the order of their last review."""
    history: dict[str, list[T]] = {}
    last: dict[str, int] = {}
    items: list[list[T]] = []
    for card, day, rating in reviews:
        h = history.get(card)
        if h is None:
            history[card] = [step(rating, 0)]
            last[card] = day
            continue
        delta = day - last[card]
        last[card] = day
        h.append(step(rating, delta))
        if delta > 0:
            items.append(h.copy())
    return items


def optimize_days(
    reviews: Sequence[tuple[str, int, int]], current: Sequence[float]
) -> OptimizeResult:
    """Fit parameters on older reviews, compare on newer ones; see the module docstring.

    ``reviews`` are (card, study day, rating) in time order, on the learner's whole history;
    days are the learner's study days in their own zone, as the scheduler counts them.
    """
    n = len(reviews)
    days = len({day for _, day, _ in reviews})
    if n < MIN_REVIEWS or days < MIN_DAYS:
        return OptimizeResult(
            False,
            f"Too little history to fit your own parameters: {n} reviews over {days} days. "
            f"FSRS needs at least {MIN_REVIEWS} reviews over {MIN_DAYS} or more days; keep "
            "reviewing and try again. Your current parameters stay in use.",
            n,
            days,
        )
    import fsrs_rs_python as rs

    steps: dict[tuple[int, int], rs.FSRSReview] = {}  # one review object per (rating, delta)

    def step(rating: int, delta: int) -> rs.FSRSReview:
        found = steps.get((rating, delta))
        if found is None:
            found = steps[rating, delta] = rs.FSRSReview(rating, delta)
        return found

    items = day_items(reviews, step)
    cut = int(len(items) * (1 - TEST_SHARE))
    train = [rs.FSRSItem(h) for h in items[:cut]]
    test = [rs.FSRSItem(h) for h in items[cut:]]
    if not train or not test:
        return OptimizeResult(False, "Too few reviews of cards seen on more than one day.", n, days)
    try:
        before = rs.FSRS(list(current)).evaluate(test)
        fitted = list(rs.FSRS(list(current)).compute_parameters(train))
        after = rs.FSRS(fitted).evaluate(test)
    except ValueError as exc:  # fsrs-rs: NotEnoughData and the like
        return OptimizeResult(
            False,
            f"FSRS could not fit your history ({exc}); your current parameters stay in use.",
            n,
            days,
        )
    result = OptimizeResult(
        True,
        "",
        n,
        days,
        len(train),
        len(test),
        before.log_loss,
        before.rmse_bins,
        after.log_loss,
        after.rmse_bins,
        fitted,
    )
    if result.better:
        result.message = (
            f"New parameters predict your newest {len(test)} reviews better "
            f"(log loss {before.log_loss:.4f} → {after.log_loss:.4f}, "
            f"RMSE(bins) {before.rmse_bins:.4f} → {after.rmse_bins:.4f}): kept."
        )
    else:
        result.message = (
            f"The fitted parameters did not predict your newest {len(test)} reviews better "
            f"(log loss {before.log_loss:.4f} → {after.log_loss:.4f}): your current ones stay."
        )
    return result
