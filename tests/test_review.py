"""Daily review through the services: queue, limits, rating, undo, suspend, bury, leeches."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
import sqlalchemy as sa

from certprep.banks.importer import import_bank
from certprep.core.scheduling import LEARNING, NEW, Rating
from certprep.services import Services
from certprep.services.review import (
    ReviewFilter,
    ReviewSession,
    buried_cards,
    due_counts,
    study_day,
    suspended_cards,
    unbury,
    unsuspend,
)
from certprep.store.tables import CARD, REVIEW_LOG

from .conftest import FakeClock, make_bank

pytestmark = pytest.mark.both_backends


def _card_rows(services: Services) -> list:
    with services.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(CARD).order_by(CARD.c.item_id))]


def _log_count(services: Services) -> int:
    with services.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(REVIEW_LOG)).scalar_one()


def test_new_cards_respect_the_daily_limit(services: Services) -> None:
    import_bank(services.engine, make_bank(60), checksum="g")
    services.update_settings(new_per_day=7)
    s = ReviewSession(services)
    assert s.counts().new == 7
    seen = 0
    while (card := s.next_card()) is not None and seen < 50:
        s.rate(card, Rating.EASY)
        seen += 1
    assert seen == 7
    assert ReviewSession(services).counts().new == 0  # the limit holds for the rest of the day


def test_limits_hold_over_simulated_weeks(services: Services, clock: FakeClock) -> None:
    import_bank(services.engine, make_bank(300), checksum="g")
    services.update_settings(new_per_day=10, reviews_per_day=25)
    for _day in range(21):
        s = ReviewSession(services)
        new_seen = reviews_seen = 0
        while (card := s.next_card()) is not None:
            if card.queue == "new":
                new_seen += 1
            elif card.queue == "review":
                reviews_seen += 1
            lapse = card.queue == "review" and card.item.id.endswith("3")
            s.rate(card, Rating.AGAIN if lapse else Rating.GOOD)
            clock.advance(minutes=1)
        assert new_seen <= 10
        assert reviews_seen <= 25
        clock.advance(days=1)
    stats = services.stats()
    assert stats["cards"]["review"] > 0 and stats["reviews"] > 0


def test_study_more_extends_today(services: Services) -> None:
    import_bank(services.engine, make_bank(40), checksum="g")
    services.update_settings(new_per_day=5)
    s = ReviewSession(services)
    while (card := s.next_card()) is not None:
        s.rate(card, Rating.EASY)
    assert ReviewSession(services, extra_new=10).counts().new == 10


def test_undo_restores_exactly(services: Services, clock: FakeClock) -> None:
    import_bank(services.engine, make_bank(5), checksum="g")
    s = ReviewSession(services)
    card = s.next_card()
    s.rate(card, Rating.EASY)
    clock.advance(days=30)  # past the first interval whatever the fuzz drew
    s = ReviewSession(services)
    card = s.next_card()
    assert card.queue == "review"
    before_cards, before_logs = _card_rows(services), _log_count(services)
    s.rate(card, Rating.AGAIN)
    nxt = s.next_card()
    back = s.undo(nxt)
    assert back.item.id == card.item.id
    assert _card_rows(services) == before_cards
    assert _log_count(services) == before_logs


def test_undo_of_a_first_answer_makes_the_card_new_again(services: Services) -> None:
    import_bank(services.engine, make_bank(3), checksum="g")
    s = ReviewSession(services)
    card = s.next_card()
    s.rate(card, Rating.GOOD)
    s.undo()
    assert _card_rows(services) == [] and _log_count(services) == 0
    assert ReviewSession(services).counts().new == 3


def test_learning_cards_come_back_in_the_same_session(services: Services, clock: FakeClock) -> None:
    import_bank(services.engine, make_bank(1), checksum="g")
    s = ReviewSession(services)
    card = s.next_card()
    s.rate(card, Rating.AGAIN)  # back in a minute: within the learn-ahead window
    again = s.next_card()
    assert again is not None and again.item.id == card.item.id and again.queue == "learning"


def test_suspend_and_bury(services: Services, clock: FakeClock) -> None:
    import_bank(services.engine, make_bank(9, case_every=3), checksum="g")
    s = ReviewSession(services)
    first = s.next_card()  # gen-00000, of case 0 with gen-00001 and gen-00002
    s.suspend(first)
    assert s.counts().new == 8
    second = s.next_card()
    assert second.item.id == "gen-00001"
    assert s.bury(second) == 3  # its whole case: siblings are buried too
    assert s.counts().new == 6
    assert ReviewSession(services).counts().new == 6  # buried for the rest of the day
    clock.advance(days=1)
    assert ReviewSession(services).counts().new == 8  # buried back, suspended stays out


def test_leech_is_suspended_after_eight_lapses(services: Services, clock: FakeClock) -> None:
    import_bank(services.engine, make_bank(1), checksum="g")
    lapses, result = 0, None
    for _ in range(200):
        s = ReviewSession(services, ReviewFilter())
        card = s.next_card()
        if card is None:
            clock.advance(days=1)
            continue
        rating = Rating.AGAIN if card.queue == "review" else Rating.EASY
        result = s.rate(card, rating)
        if card.queue == "review":
            lapses += 1
        if result.leech:
            break
        clock.advance(days=60)
    assert result is not None and result.leech and lapses == 8
    assert services.stats()["cards"]["suspended"] == 1


def test_filters_by_exam_section_topic(services: Services) -> None:
    import_bank(services.engine, make_bank(20, sections=("icd10cm", "hcpcs")), checksum="g")
    import_bank(
        services.engine, make_bank(10, name="other", exam="cpb", sections=("coding",)), checksum="o"
    )
    assert ReviewSession(services, ReviewFilter(exam="cpb")).counts().new == 10
    assert ReviewSession(services, ReviewFilter(exam="cpc", section="hcpcs")).counts().new == 10
    assert ReviewSession(services, ReviewFilter(topic="topic-0")).counts().new == 3 + 2
    assert ReviewSession(services, ReviewFilter(limit=4)).counts().total == 4


def test_a_killed_process_loses_no_committed_answer(services: Services, db_path) -> None:
    import_bank(services.engine, make_bank(5), checksum="g")
    code = f"""
import os
from certprep.services import open_services
from certprep.services.review import ReviewSession
from certprep.core.scheduling import Rating
s = ReviewSession(open_services({str(db_path)!r}, "tester"))
card = s.next_card()
s.rate(card, Rating.GOOD)
print(card.item.id, flush=True)
os._exit(9)  # killed before the next card is shown
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 9, out.stderr
    rated = out.stdout.strip()
    with services.engine.connect() as conn:
        row = conn.execute(sa.select(CARD).where(CARD.c.item_id == rated)).one()
        logs = conn.execute(
            sa.select(REVIEW_LOG.c.rating).where(REVIEW_LOG.c.item_id == rated)
        ).all()
    assert row.state != NEW and [r.rating for r in logs] == [int(Rating.GOOD)]


def test_history_lists_every_rating(services: Services, clock: FakeClock) -> None:
    import_bank(services.engine, make_bank(1), checksum="g")
    s = ReviewSession(services)
    card = s.next_card()
    s.rate(card, Rating.AGAIN)
    clock.advance(minutes=2)
    card = s.next_card()
    s.rate(card, Rating.GOOD)
    h = s.history(card.item.id)
    assert [e.rating for e in h.entries] == [1, 3]
    assert h.card.reps == 2 and 0 < h.retrievability <= 1


# -- daily limits are the learner's, whatever the scope ------------------------------------------
def _study_all(s: ReviewSession, clock: FakeClock) -> list[str]:
    queues = []
    while (card := s.next_card()) is not None:
        queues.append(card.queue)
        s.rate(card, Rating.EASY if card.queue != "review" else Rating.GOOD)
        clock.advance(seconds=30)
    return queues


def test_reviewing_several_scopes_cannot_exceed_the_new_card_limit(
    services: Services, clock: FakeClock
) -> None:
    import_bank(services.engine, make_bank(60, sections=("icd10cm", "hcpcs")), checksum="g")
    import_bank(
        services.engine, make_bank(30, name="other", exam="cpb", sections=("coding",)), checksum="o"
    )
    services.update_settings(new_per_day=10)
    scopes = [
        ReviewFilter(exam="cpc", section="icd10cm"),
        ReviewFilter(exam="cpc", section="hcpcs"),
        ReviewFilter(topic="topic-3"),
        ReviewFilter(exam="cpb"),
        ReviewFilter(exam="cpc"),
        ReviewFilter(),
    ]
    new_seen = sum(_study_all(ReviewSession(services, f), clock).count("new") for f in scopes)
    assert new_seen == 10
    assert all(due_counts(services, f).new == 0 for f in scopes)
    assert all(c.new_today == 0 for c in services.exam_counts())
    clock.advance(days=1)  # a new study day: the limit renews
    assert ReviewSession(services, ReviewFilter(exam="cpb")).counts().new == 10


def test_reviewing_several_scopes_cannot_exceed_the_review_limit(
    services: Services, clock: FakeClock
) -> None:
    import_bank(services.engine, make_bank(40, sections=("icd10cm", "hcpcs")), checksum="g")
    services.update_settings(new_per_day=40)
    _study_all(ReviewSession(services), clock)
    clock.advance(days=60)  # every card in review and due
    services.update_settings(reviews_per_day=12)
    seen = 0
    for f in (ReviewFilter(section="icd10cm"), ReviewFilter(section="hcpcs"), ReviewFilter()):
        seen += _study_all(ReviewSession(services, f), clock).count("review")
    assert seen == 12


# -- undo: every column, every action ------------------------------------------------------------
def test_undo_of_a_rating_gives_back_introduced_at_and_the_days_new_card(
    services: Services, clock: FakeClock
) -> None:
    import_bank(services.engine, make_bank(5), checksum="g")
    services.update_settings(new_per_day=2)
    s = ReviewSession(services)
    card = s.next_card()
    s.toggle_flag(card)  # the card now has a row, never introduced
    before = _card_rows(services)
    s.rate(card, Rating.GOOD)
    assert ReviewSession(services).counts().new == 1
    back = s.undo()
    assert back is not None and back.item.id == card.item.id and back.flagged
    assert _card_rows(services) == before  # introduced_at is None again, like every column
    assert ReviewSession(services).counts().new == 2


@pytest.mark.parametrize("action", ["suspend", "bury", "flag", "mark"])
def test_undo_takes_back_every_review_action(
    services: Services, clock: FakeClock, action: str
) -> None:
    import_bank(services.engine, make_bank(6, case_every=3), checksum="g")
    s = ReviewSession(services)
    card = s.next_card()  # gen-00000, of a case with gen-00001 and gen-00002
    assert card is not None
    before_rows, before_counts = _card_rows(services), s.counts()
    if action == "suspend":
        s.suspend(card)
    elif action == "bury":
        assert s.bury(card) == 3
    elif action == "flag":
        assert s.toggle_flag(card)
    else:
        assert s.toggle_mark(card)
    assert _card_rows(services) != before_rows
    assert s.can_undo() and s.undo_label()
    back = s.undo(card if action in ("flag", "mark") else None)
    assert back is not None and back.item.id == card.item.id
    assert _card_rows(services) == before_rows
    assert not back.flagged and not back.marked
    assert s.counts() == before_counts  # siblings back in the queue, the card on screen again
    shown = [back.item.id]
    while (nxt := s.next_card()) is not None:
        shown.append(nxt.item.id)
        s.rate(nxt, Rating.EASY)
    assert sorted(shown) == [f"gen-{i:05d}" for i in range(6)]
    assert not s.can_undo() or s.undo_label() == "the last answer was taken back"


def test_unsuspend_and_unbury_put_cards_back(services: Services, clock: FakeClock) -> None:
    import_bank(services.engine, make_bank(4), checksum="g")
    s = ReviewSession(services)
    first, second = s.next_card(), s.next_card()
    s.suspend(first)
    s.bury(second)
    assert ReviewSession(services).counts().new == 2
    assert suspended_cards(services) == [first.item.id]
    assert buried_cards(services) == [second.item.id]
    assert unsuspend(services, [first.item.id, "gen-00003"]) == 1
    assert unbury(services, [second.item.id]) == 1
    assert ReviewSession(services).counts().new == 4
    assert suspended_cards(services) == [] and buried_cards(services) == []


def test_a_leech_can_be_unsuspended(services: Services, clock: FakeClock) -> None:
    import_bank(services.engine, make_bank(1), checksum="g")
    services.update_settings(leech_lapses=1)
    s = ReviewSession(services)
    s.rate(s.next_card(), Rating.EASY)
    clock.advance(days=60)
    s = ReviewSession(services)
    assert s.rate(s.next_card(), Rating.AGAIN).leech
    assert suspended_cards(services) == ["gen-00000"]
    unsuspend(services, ["gen-00000"])
    clock.advance(minutes=15)
    assert ReviewSession(services).counts().learning == 1


# -- "due now": one definition, home and review agree -----------------------------------------
def test_home_due_now_is_what_review_then_offers(services: Services, clock: FakeClock) -> None:
    import_bank(services.engine, make_bank(30, sections=("icd10cm", "hcpcs")), checksum="g")
    import_bank(services.engine, make_bank(8, name="b", exam="cpb"), checksum="b")
    services.update_settings(new_per_day=38)
    _study_all(ReviewSession(services), clock)
    lid = services.learner_id
    now = clock()
    later_today = now + (study_day(services).end - now) / 2  # before the local rollover
    # some cards due later today, some tomorrow, some in learning now, some overdue
    with services.engine.begin() as conn:
        for i, due in enumerate(
            [later_today] * 10 + [now + timedelta(days=2)] * 8 + [now - timedelta(days=1)] * 6
        ):
            conn.execute(
                sa.update(CARD)
                .where(CARD.c.learner_id == lid, CARD.c.item_id == f"gen-{i:05d}")
                .values(due=due)
            )
        conn.execute(
            sa.update(CARD)
            .where(CARD.c.item_id.in_(["b-00000", "b-00001"]))
            .values(state=LEARNING, step=1, due=now + timedelta(minutes=5))
        )
    services.update_settings(reviews_per_day=12)
    home = {c.exam: c for c in services.exam_counts()}
    for exam in ("cpc", "cpb"):
        offered = ReviewSession(services, ReviewFilter(exam=exam)).counts()
        assert home[exam].due_now == offered.learning + offered.review
        assert home[exam].new_today == offered.new
        assert due_counts(services, ReviewFilter(exam=exam)) == offered
    assert home["cpc"].due_now == 12  # 16 due today, the review limit is 12
    assert home["cpb"].due_now == 2
    assert services.stats()["cards"]["due_now"] == ReviewSession(services).counts().due == 14
    for f in (ReviewFilter(section="hcpcs"), ReviewFilter(topic="topic-1"), ReviewFilter(limit=5)):
        assert due_counts(services, f) == ReviewSession(services, f).counts()
