"""Scheduler invariants (hypothesis): what a learner relies on without thinking about it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from certprep.core.scheduling import (
    NEW,
    REVIEW,
    CardState,
    Rating,
    SchedulerSettings,
    format_interval,
    preview,
    retrievability,
    review,
)
from certprep.core.studyday import next_study_day, study_day_start

START = datetime(2026, 1, 1, 12, tzinfo=UTC)
ratings = st.sampled_from(list(Rating))
gaps = st.floats(min_value=0, max_value=400 * 24 * 60)  # minutes between reviews
NO_FUZZ = SchedulerSettings(fuzz=False)


@given(st.lists(st.tuples(ratings, gaps), min_size=1, max_size=25))
@settings(max_examples=150, deadline=None)
def test_intervals_are_never_negative(history) -> None:
    card, now = CardState(), START
    for rating, gap in history:
        card = review(card, rating, now, SchedulerSettings())
        assert card.due is not None and card.due >= now
        assert card.stability is not None and card.stability > 0
        assert 1 <= (card.difficulty or 0) <= 10
        now += timedelta(minutes=gap)


@given(st.lists(st.tuples(ratings, gaps), max_size=15), st.floats(min_value=0, max_value=60))
@settings(max_examples=150, deadline=None)
def test_good_after_good_never_shortens_the_interval(history, late_days) -> None:
    card, now = CardState(), START
    for rating, gap in history:
        card = review(card, rating, now, NO_FUZZ)
        now = max(now + timedelta(minutes=gap), card.due or now)
    card = review(card, Rating.GOOD, now, NO_FUZZ)
    while card.state != REVIEW:
        now = card.due or now
        card = review(card, Rating.GOOD, now, NO_FUZZ)
    first = card.due - now  # type: ignore[operator]
    now = card.due + timedelta(days=late_days)  # type: ignore[operator]
    card = review(card, Rating.GOOD, now, NO_FUZZ)
    assert card.due - now >= first  # type: ignore[operator]


def test_ratings_order_the_intervals() -> None:
    card = review(CardState(), Rating.GOOD, START, NO_FUZZ)
    card = review(card, Rating.GOOD, card.due, NO_FUZZ)  # type: ignore[arg-type]
    iv = preview(card, card.due + timedelta(days=3), NO_FUZZ)  # type: ignore[operator]
    assert iv[Rating.AGAIN] < iv[Rating.HARD] <= iv[Rating.GOOD] < iv[Rating.EASY]


def test_again_on_a_review_card_is_a_lapse() -> None:
    card = review(CardState(), Rating.EASY, START, NO_FUZZ)
    assert card.state == REVIEW and card.lapses == 0
    card = review(card, Rating.AGAIN, card.due, NO_FUZZ)  # type: ignore[arg-type]
    assert card.lapses == 1 and card.state != REVIEW


def test_card_state_round_trips_through_json() -> None:
    card = review(CardState(), Rating.GOOD, START, SchedulerSettings())
    assert CardState.from_dict(card.to_dict()) == card
    assert CardState.from_dict(CardState().to_dict()) == CardState(state=NEW)


def test_retrievability_falls_with_time_and_is_target_at_due() -> None:
    card = review(CardState(), Rating.EASY, START, NO_FUZZ)
    r_soon = retrievability(card, START + timedelta(days=1))
    r_late = retrievability(card, START + timedelta(days=60))
    assert 1 >= r_soon > r_late > 0
    assert abs(retrievability(card, card.due) - 0.9) < 0.02  # type: ignore[arg-type]


@given(st.integers(0, 23), st.integers(0, 24 * 60 - 1), st.integers(-12, 14))
def test_study_day_boundaries(hour, minute_of_day, offset) -> None:
    zone = timezone(timedelta(hours=offset))
    now = datetime(2026, 3, 10, tzinfo=zone) + timedelta(minutes=minute_of_day)
    start = study_day_start(now.astimezone(UTC), hour, zone)
    nxt = next_study_day(now.astimezone(UTC), hour, zone)
    assert start <= now < nxt
    assert nxt - start == timedelta(days=1)
    assert start.astimezone(zone).hour == hour and start.astimezone(zone).minute == 0


@given(
    st.sampled_from(["Australia/Sydney", "America/New_York", "Europe/London", "UTC"]),
    st.integers(1, 23),
    st.integers(0, 365 * 24 * 60 - 1),
)
def test_study_days_in_iana_zones_start_at_the_local_hour_through_dst(
    name, hour, minute_of_year
) -> None:
    """In a zone with DST a study day lasts 23, 24 or 25 hours, always from the local hour."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(name)
    now = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minute_of_year)
    start = study_day_start(now, hour, zone)
    nxt = next_study_day(now, hour, zone)
    assert start <= now < nxt
    assert nxt - start in (timedelta(hours=23), timedelta(hours=24), timedelta(hours=25))
    for edge in (start, nxt):
        local = edge.astimezone(zone)
        assert (local.hour, local.minute) == (hour, 0) or local.hour == hour + 1  # in a DST gap


def test_interval_labels() -> None:
    assert format_interval(timedelta(minutes=1)) == "1m"
    assert format_interval(timedelta(minutes=10)) == "10m"
    assert format_interval(timedelta(days=3)) == "3d"
    assert format_interval(timedelta(days=400)) == "1.1y"
