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
from typing import Any, Generic, TypeVar

from certprep.core.studyday import EpochDays, study_day_number

T = TypeVar("T")
I = TypeVar("I")  # noqa: E741


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
    (``optimize_epochs`` itself uses ``histories``: the same items in one pass, from epochs.)"""
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


@dataclass
class Histories(Generic[I]):
    """What one pass over a review log found: the items, in the order of their last review."""

    items: list[I]
    reviews: int
    days: int


def histories(
    batches: Iterable[Sequence[tuple[str, int, int]]],
    days: EpochDays,
    step: Callable[[int, int], T] = _pair,  # type: ignore[assignment]
    item: Callable[[list[T]], I] = list,  # type: ignore[assignment]
) -> Histories[I]:
    """``build_items`` in one pass over batches of (card, UTC epoch second, rating) in time
    order: each review after a card's first on a later study day gives an item, ``item`` of the
    card's history so far (``item`` copies it: a list by default), each review in it
    ``step(rating, days since the previous review)``, made once per distinct pair. The study
    day comes from ``days`` once per hour of the stream, not once per row."""
    cards: dict[str, list[Any]] = {}  # card -> [its last study day, its history]
    # each distinct (rating, delta) once, keyed rating + 8 * delta (no tuple per row); a rating
    # outside 0-7 (none is stored) would share keys, so it is keyed by its pair
    steps: dict[object, T] = {}
    items: list[I] = []
    add, get, known = items.append, cards.get, steps.get
    seen: set[int] = set()
    reviews = day = lo = hi = 0
    for batch in batches:
        reviews += len(batch)
        for card, t, rating in batch:
            if not lo <= t < hi:
                day, lo, hi = days.span(t)
                seen.add(day)
            c = get(card)
            delta = 0 if c is None else day - c[0]
            key = rating + 8 * delta if 0 <= rating < 8 else (rating, delta)
            r = known(key)
            if r is None:
                r = steps[key] = step(rating, delta)
            if c is None:
                cards[card] = [day, [r]]
            elif delta > 0:
                c[0] = day
                h = c[1]
                h.append(r)
                add(item(h))
            elif delta == 0:
                c[1].append(r)
            else:  # (a day earlier than the last: a wall clock set back; no item, as before)
                c[0] = day
                c[1].append(r)
    return Histories(items, reviews, len(seen))


def fsrs_histories(
    batches: Iterable[Sequence[tuple[str, int, int]]], days: EpochDays
) -> Histories[Any]:
    """``histories`` as fsrs-rs takes them: every item an ``FSRSItem`` as soon as it is found
    (no list of Python histories is kept beside them), each distinct review one ``FSRSReview``."""
    import fsrs_rs_python as rs

    return histories(batches, days, rs.FSRSReview, rs.FSRSItem)


def fit(found: Histories[Any], current: Sequence[float]) -> OptimizeResult:
    """Fit parameters on older reviews, compare on newer ones; see the module docstring.

    ``found`` is the learner's whole history (``fsrs_histories``), its study days the
    learner's own in their zone, as the scheduler counts them."""
    import fsrs_rs_python as rs

    n, days_seen, items = found.reviews, found.days, found.items
    if n < MIN_REVIEWS or days_seen < MIN_DAYS:
        return OptimizeResult(
            False,
            f"Too little history to fit your own parameters: {n} reviews over {days_seen} days. "
            f"FSRS needs at least {MIN_REVIEWS} reviews over {MIN_DAYS} or more days; keep "
            "reviewing and try again. Your current parameters stay in use.",
            n,
            days_seen,
        )
    cut = int(len(items) * (1 - TEST_SHARE))
    train, test = items[:cut], items[cut:]
    if not train or not test:
        return OptimizeResult(
            False, "Too few reviews of cards seen on more than one day.", n, days_seen
        )
    try:
        before = rs.FSRS(list(current)).evaluate(test)
        fitted = list(rs.FSRS(list(current)).compute_parameters(train))
        after = rs.FSRS(fitted).evaluate(test)
    except ValueError as exc:  # fsrs-rs: NotEnoughData and the like
        return OptimizeResult(
            False,
            f"FSRS could not fit your history ({exc}); your current parameters stay in use.",
            n,
            days_seen,
        )
    result = OptimizeResult(
        True,
        "",
        n,
        days_seen,
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
