"""Exam-date mode: each card of the exam's pool at or above the exam-day target on exam day
(when the workload allows), the extra workload shown first, and the same in simulation."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from certprep.banks.importer import import_bank
from certprep.core.exam_mode import compare, simulate_card
from certprep.core.problems import InputError
from certprep.core.scheduling import (
    REVIEW,
    CardState,
    Rating,
    SchedulerSettings,
    exam_keep_days,
    retrievability,
    review,
)
from certprep.services import Services
from certprep.services.review import (
    ReviewSession,
    preview_exam_mode,
    set_exam_mode,
    settings_for,
)
from certprep.services.settings import exam_day_start, learner_zone
from certprep.store.tables import CARD

from .conftest import FakeClock, make_bank

START = datetime(2026, 1, 1, 8, tzinfo=UTC)
TARGET = 0.95
PLAIN = SchedulerSettings(fuzz=False)


def _review_card(stability: float, at: datetime) -> CardState:
    return CardState(
        state=REVIEW,
        stability=stability,
        difficulty=5.0,
        due=at,
        last_review=at - timedelta(days=stability),
        reps=3,
    )


@given(
    st.floats(min_value=0.5, max_value=400),
    st.floats(min_value=1, max_value=240),
    st.sampled_from([0.9, 0.95, 0.97]),
)
@settings(max_examples=200, deadline=None)
def test_recalled_cards_reach_the_exam_at_or_above_the_target(
    stability: float, days_to_exam: float, target: float
) -> None:
    """However strong the card and however far the exam, a learner who reviews when the card
    is due (and recalls it) sits the exam with it at or above the exam-day target."""
    exam = START + timedelta(days=days_to_exam)
    mode = replace(PLAIN, exam_date=exam, exam_retention=target)
    card, now = _review_card(stability, START), START
    while now < exam:
        card = review(card, Rating.GOOD, now, mode)
        assert card.due is not None
        now = card.due
    assert retrievability(card, exam, mode) >= target - 1e-9


def test_without_the_mode_many_cards_sit_the_exam_below_the_target() -> None:
    """The same learner without the mode: the test above fails when the mode does nothing."""
    rng = random.Random(5)
    below = 0
    for _ in range(200):
        exam = START + timedelta(days=rng.uniform(5, 120))
        card, now = _review_card(rng.uniform(1, 200), START), START
        while now < exam:
            card = review(card, Rating.GOOD, now, replace(PLAIN, exam_date=exam))
            now = card.due  # type: ignore[assignment]
        below += retrievability(card, exam, PLAIN) < TARGET
    assert below >= 30  # 38 of 200 with this seed


def test_the_pull_is_at_most_what_the_target_needs() -> None:
    exam = START + timedelta(days=20)
    mode = replace(PLAIN, exam_date=exam, exam_retention=TARGET)
    card = review(_review_card(8, START), Rating.GOOD, START, PLAIN)
    pulled = review(_review_card(8, START), Rating.GOOD, START, mode)
    keep = timedelta(days=exam_keep_days(pulled.stability or 0, TARGET, mode.parameters))
    assert card.due is not None and card.due > exam  # left alone it would wait past the exam
    assert pulled.due == exam - keep  # as late as still keeps it at the target
    assert retrievability(replace(pulled, last_review=pulled.due), exam, mode) >= TARGET - 1e-9


def test_simulated_learner_with_and_without_the_mode() -> None:
    """A deck learned 20 new cards a day for 90 days, the mode on 30 days before the exam."""
    origin = START
    exam = origin + timedelta(days=120)
    mode_from = exam - timedelta(days=30)
    s = replace(PLAIN, exam_retention=TARGET)
    out = []
    for switch in (None, mode_from):
        rng = random.Random(3)
        finals = [
            simulate_card(
                CardState(),
                origin,
                exam,
                s,
                rng,
                mode_from=switch,
                intro=origin + timedelta(days=i // 20),
            )
            for i in range(600)
        ]
        from certprep.core.exam_mode import outcome

        out.append(outcome(finals, mode_from, exam, s, TARGET))
    without, with_mode = out
    assert with_mode.share_at_target >= 0.97 > 0.7 > without.share_at_target
    assert with_mode.mean_retention > without.mean_retention
    assert with_mode.reviews_per_day > without.reviews_per_day


def test_compare_runs_both_ways_on_the_same_cards() -> None:
    cards = [_review_card(s, START + timedelta(days=s / 2)) for s in range(2, 80, 2)]
    c = compare(cards, START, START + timedelta(days=25), PLAIN, TARGET, seed=1)
    assert c.without.cards == c.with_mode.cards == len(cards)
    assert c.with_mode.share_at_target > c.without.share_at_target
    assert c.extra_reviews_per_day > 0


# -- the service: switch on, see the cost first, cards pulled ------------------------------------
@pytest.fixture
def studied(services: Services, clock: FakeClock) -> Services:
    """40 CPC cards studied over three weeks (all in review), exam in 30 days."""
    import_bank(services.engine, make_bank(40), checksum="g")
    services.update_settings(new_per_day=40)
    for _ in range(21):
        s = ReviewSession(services)
        while (card := s.next_card()) is not None:
            s.rate(card, Rating.GOOD if card.queue == "review" else Rating.EASY)
        clock.advance(days=1)
    exam_day = (clock() + timedelta(days=30)).date().isoformat()
    services.update_settings(exam_dates={"cpc": exam_day})
    return services


def test_the_extra_workload_is_shown_before_the_mode_is_on(studied: Services) -> None:
    p = preview_exam_mode(studied, "cpc", 0.95)
    assert p.cards == 40 and p.unseen == 0 and 29 < p.days_left < 31
    assert p.reviews_per_day_with > p.reviews_per_day_without > 0
    assert p.at_target_with >= 0.95 > p.at_target_without
    assert p.retention_with > p.retention_without
    assert "exam_mode" not in studied.settings  # previewing changes nothing
    with pytest.raises(InputError, match="exam date"):
        preview_exam_mode(studied, "cpb")
    with pytest.raises(InputError, match=r"0\.70 to 0\.99"):
        preview_exam_mode(studied, "cpc", 1.5)


def _dues(services: Services) -> dict[str, datetime]:
    with services.engine.connect() as conn:
        return {r.item_id: r.due for r in conn.execute(sa.select(CARD.c.item_id, CARD.c.due))}


def test_switching_the_mode_on_pulls_cards_that_would_sit_the_exam_below_target(
    studied: Services, clock: FakeClock
) -> None:
    exam = exam_day_start(studied, "cpc")
    assert exam is not None
    before = _dues(studied)
    moved = set_exam_mode(studied, "cpc", 0.95)
    after = _dues(studied)
    assert moved > 0 and moved == sum(after[i] < before[i] for i in before)
    mode = settings_for(studied, "cpc")
    assert mode.exam_date == exam and mode.exam_retention == 0.95
    # every card will be reviewed in time, or is at the target on exam day untouched
    with studied.engine.connect() as conn:
        for r in conn.execute(sa.select(CARD)):
            c = CardState(state=r.state, stability=r.stability, last_review=r.last_review)
            keep = timedelta(days=exam_keep_days(r.stability, 0.95, mode.parameters))
            assert r.due <= exam - keep or retrievability(c, exam, mode) >= 0.95
    # reviewing day by day in an all-exams session keeps it so up to the exam
    while clock() < exam - timedelta(days=1):
        s = ReviewSession(studied)
        while (card := s.next_card()) is not None:
            s.rate(card, Rating.GOOD)
        clock.advance(days=1)
    with studied.engine.connect() as conn:
        low = [
            r.item_id
            for r in conn.execute(sa.select(CARD))
            if retrievability(
                CardState(state=r.state, stability=r.stability, last_review=r.last_review),
                exam,
                mode,
            )
            < 0.95
        ]
    assert low == []
    set_exam_mode(studied, "cpc", None)
    assert settings_for(studied, "cpc").exam_date is None


def test_a_session_over_every_exam_schedules_with_the_mode_of_the_cards_exam(
    services: Services, clock: FakeClock
) -> None:
    """The mode holds however the learner reviews: here, never choosing the exam."""
    import_bank(services.engine, make_bank(60), checksum="g")
    services.update_settings(
        new_per_day=6, exam_dates={"cpc": (clock() + timedelta(days=40)).date().isoformat()}
    )
    set_exam_mode(services, "cpc", 0.95)
    mode = settings_for(services, "cpc")
    exam = mode.exam_date
    assert exam is not None
    rated = 0
    while clock() < exam - timedelta(days=1):
        s = ReviewSession(services)  # no exam filter
        while (card := s.next_card()) is not None:
            after = s.rate(card, Rating.GOOD if card.queue == "review" else Rating.EASY).card
            rated += 1
            keep = timedelta(days=exam_keep_days(after.stability or 0, 0.95, mode.parameters))
            assert after.due is not None
            assert after.due <= exam - keep or clock() + keep >= exam
        clock.advance(days=1)
    assert rated > 60


def test_a_new_exam_date_pulls_the_cards_again(studied: Services, clock: FakeClock) -> None:
    from certprep.services.settings import save_settings

    set_exam_mode(studied, "cpc", 0.95)
    before = _dues(studied)
    sooner = (clock() + timedelta(days=12)).date().isoformat()
    save_settings(studied, exam_dates={"cpc": sooner})
    after = _dues(studied)
    assert sum(after[i] < before[i] for i in before) > 0
    exam = exam_day_start(studied, "cpc")
    assert exam is not None and exam.astimezone(learner_zone(studied)).date().isoformat() == sooner
