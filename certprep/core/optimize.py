"""Fit FSRS parameters to a learner's review log with fsrs-rs-python (Rust, no torch).

The log is split by time: parameters are fitted on the items of the older 80 % of the reviews
and both the current and the fitted parameters are scored on the items of the newest 20 %,
which they have not seen (an item belongs to the review it predicts). The
new parameters are kept only if they predict that held-out part better.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from itertools import pairwise
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
    """What one pass over a review log found: the items, in the order of their last review;
    ``before_cut`` of them come from reviews before the pass's ``cut`` (all, without one)."""

    items: list[I]
    reviews: int
    days: int
    before_cut: int = -1

    def __post_init__(self) -> None:
        if self.before_cut < 0:
            self.before_cut = len(self.items)


def _parts(batch: Sequence[T], pos: int, marks: tuple[int, ...]) -> list[tuple[int, Sequence[T]]]:
    """``batch`` (whose first row is row ``pos`` of the stream) cut at the row positions
    ``marks`` that fall inside it, each part with the position of its first row."""
    inside = sorted({m - pos for m in marks if 0 < m - pos < len(batch)})
    if not inside:
        return [(pos, batch)]
    edges = [0, *inside, len(batch)]
    return [(pos + a, batch[a:b]) for a, b in pairwise(edges)]


def histories(
    batches: Iterable[Sequence[tuple[str, int, int]]],
    days: EpochDays,
    step: Callable[[int, int], T] = _pair,  # type: ignore[assignment]
    item: Callable[[list[T]], I] = list,  # type: ignore[assignment]
    *,
    cut: int | None = None,
    make_from: int = 0,
) -> Histories[I]:
    """``build_items`` in one pass over batches of (card, UTC epoch second, rating) in time
    order: each review after a card's first on a later study day gives an item, ``item`` of the
    card's history so far (``item`` copies it: a list by default), each review in it
    ``step(rating, days since the previous review)``, made once per distinct pair. The study
    day comes from ``days`` once per hour of the stream, not once per row.

    ``cut``: the result counts the items from the stream's first ``cut`` reviews
    (``before_cut``: the training part). ``make_from``: reviews before that row only extend
    their cards' histories and make no item (a process that scores the newest reviews needs
    no items for the older ones)."""
    cards: dict[str, list[Any]] = {}  # card -> [its last study day, its history]
    # each distinct (rating, delta) once, keyed rating + 8 * delta (no tuple per row); a rating
    # outside 0-7 (none is stored) would share keys, so it is keyed by its pair
    steps: dict[object, T] = {}
    items: list[I] = []
    add, get, known = items.append, cards.get, steps.get
    seen: set[int] = set()
    reviews = day = lo = hi = 0
    before_cut = -1
    marks = (make_from,) if cut is None else (make_from, cut)
    for batch in batches:
        for pos, part in _parts(batch, reviews, marks):
            if cut is not None and before_cut < 0 and pos >= cut:
                before_cut = len(items)
            make = pos >= make_from
            for card, t, rating in part:
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
                    if make:
                        add(item(h))
                elif delta == 0:
                    c[1].append(r)
                else:  # (a day earlier than the last: a wall clock set back; no item, as before)
                    c[0] = day
                    c[1].append(r)
        reviews += len(batch)
    return Histories(items, reviews, len(seen), before_cut)


def fsrs_histories(
    batches: Iterable[Sequence[tuple[str, int, int]]],
    days: EpochDays,
    *,
    cut: int | None = None,
    make_from: int = 0,
) -> Histories[Any]:
    """``histories`` as fsrs-rs takes them: every item an ``FSRSItem`` as soon as it is found
    (no list of Python histories is kept beside them), each distinct review one ``FSRSReview``."""
    import fsrs_rs_python as rs

    return histories(batches, days, rs.FSRSReview, rs.FSRSItem, cut=cut, make_from=make_from)


def train_reviews(reviews: int) -> int:
    """How many of the oldest reviews the parameters are fitted on (the rest score them)."""
    return int(reviews * (1 - TEST_SHARE))


def too_little(reviews: int, days_seen: int, train: int, test: int) -> OptimizeResult | None:
    """The result when the history cannot be fitted and judged, else None."""
    if reviews < MIN_REVIEWS or days_seen < MIN_DAYS:
        return OptimizeResult(
            False,
            f"Too little history to fit your own parameters: {reviews} "
            f"review{'' if reviews == 1 else 's'} over {days_seen} "
            f"day{'' if days_seen == 1 else 's'}. FSRS needs at least {MIN_REVIEWS} reviews over {MIN_DAYS} or "
            "more days; keep reviewing and try again. Your current parameters stay in use.",
            reviews,
            days_seen,
        )
    if not train or not test:
        return OptimizeResult(
            False, "Too few reviews of cards seen on more than one day.", reviews, days_seen
        )
    return None


def could_not_fit(why: str, reviews: int, days_seen: int) -> OptimizeResult:
    """fsrs-rs refused the history (NotEnoughData and the like)."""
    return OptimizeResult(
        False,
        f"FSRS could not fit your history ({why}); your current parameters stay in use.",
        reviews,
        days_seen,
    )


def score(parameters: Sequence[float], items: list[Any]) -> tuple[float, float]:
    """(log loss, RMSE(bins)) of ``parameters`` predicting ``items`` (``FSRSItem``s)."""
    import fsrs_rs_python as rs

    found = rs.FSRS(list(parameters)).evaluate(items)
    return found.log_loss, found.rmse_bins


def fitted_on(current: Sequence[float], train: list[Any]) -> list[float]:
    """fsrs-rs's parameters for ``train``, starting from ``current``."""
    import fsrs_rs_python as rs

    return list(rs.FSRS(list(current)).compute_parameters(train))


def judged(
    reviews: int,
    days_seen: int,
    train: int,
    test: int,
    before: tuple[float, float],
    after: tuple[float, float],
    fitted: list[float],
) -> OptimizeResult:
    """The result of a fit, its message saying whether the fitted parameters are kept."""
    result = OptimizeResult(True, "", reviews, days_seen, train, test, *before, *after, fitted)
    if result.better:
        result.message = (
            f"New parameters predict your newest {test} reviews better "
            f"(log loss {before[0]:.4f} → {after[0]:.4f}, "
            f"RMSE(bins) {before[1]:.4f} → {after[1]:.4f}): kept."
        )
    else:
        result.message = (
            f"The fitted parameters did not predict your newest {test} reviews better "
            f"(log loss {before[0]:.4f} → {after[0]:.4f}): your current ones stay."
        )
    return result


def fit(found: Histories[Any], current: Sequence[float]) -> OptimizeResult:
    """Fit parameters on older reviews, compare on newer ones; see the module docstring.

    ``found`` is the learner's whole history (``fsrs_histories`` with ``cut`` at
    ``train_reviews``), its study days the learner's own in their zone, as the scheduler
    counts them."""
    n, days_seen, items = found.reviews, found.days, found.items
    train, test = items[: found.before_cut], items[found.before_cut :]
    refused = too_little(n, days_seen, len(train), len(test))
    if refused is not None:
        return refused
    try:
        before = score(current, test)
        fitted = fitted_on(current, train)
        after = score(fitted, test)
    except ValueError as exc:  # fsrs-rs: NotEnoughData and the like
        return could_not_fit(str(exc), n, days_seen)
    return judged(n, days_seen, len(train), len(test), before, after, fitted)
