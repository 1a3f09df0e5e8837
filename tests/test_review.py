"""Daily review through the services: queue, limits, rating, undo, suspend, bury, leeches."""

from __future__ import annotations

import subprocess
import sys

import pytest
import sqlalchemy as sa

from certprep.banks.importer import import_bank
from certprep.core.scheduling import NEW, Rating
from certprep.services import Services
from certprep.services.review import ReviewFilter, ReviewSession
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
