"""Exam answers and review are one memory (the rule in certprep.services.review.exam_answers).

A miss is a lapse due in the next review session, not a new card behind the new-card limit; a
correct answer on a known card is a successful recall; a correct answer on an unseen item
changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from certprep.banks.importer import import_bank
from certprep.core.scheduling import LEARNING, NEW, RELEARNING, REVIEW, Rating
from certprep.services import Services
from certprep.services.exams import ExamService
from certprep.services.review import ReviewSession, due_counts
from certprep.store.tables import CARD, REVIEW_LOG

from . import test_exam_service as ex
from .conftest import FakeClock, make_bank

pytestmark = pytest.mark.both_backends
small_blueprint = ex.small_blueprint


@pytest.fixture
def bank(services: Services) -> Services:
    import_bank(services.engine, make_bank(40, sections=ex.SECTIONS), checksum="gen")
    return services


def _cards(services: Services) -> dict[str, sa.Row]:
    with services.engine.connect() as conn:
        return {r.item_id: r for r in conn.execute(sa.select(CARD))}


def _wrong(q) -> list[str]:
    return [next(c.key for c in q.item.choices if not c.correct)]


def _study_to_review(services: Services, clock: FakeClock, item_ids: list[str]) -> None:
    """The learner knows these items: studied to the review state, then a day passes."""
    s = ReviewSession(services)
    for item_id in item_ids:
        s.rate(s.load_card(item_id), Rating.EASY)
    clock.advance(days=1)


def test_misses_are_due_in_the_next_session_whatever_the_new_card_limit(
    bank: Services, clock: FakeClock
) -> None:
    bank.update_settings(new_per_day=0)  # no new cards at all today
    exams = ExamService(bank)
    aid = exams.start(small_blueprint(), seed=3, mode="untimed")
    questions = exams.load(aid).questions
    known = questions[0].item.id
    _study_to_review(bank, clock, [known])
    for q in questions:
        exams.answer(aid, q.position, _wrong(q))
    result = exams.submit(aid)
    assert result.sent_to_review == 5
    cards = _cards(bank)
    missed = {q.item.id for q in questions}
    assert cards[known].state == RELEARNING and cards[known].lapses == 1
    assert all(cards[i].state == LEARNING for i in missed - {known})
    # home's count and the session agree, and every miss is offered in the next session
    assert due_counts(bank).due == 5
    assert {c.exam: c.due_now for c in bank.exam_counts()}["cpc"] == 5
    s = ReviewSession(bank)
    offered = set()
    for _ in range(20):
        card = s.next_card()
        if card is None:
            break
        offered.add(card.item.id)
        s.rate(card, Rating.GOOD)
        clock.advance(minutes=1)
    assert missed <= offered
    # and the new-card quota is untouched: tomorrow's new cards are all there
    bank.update_settings(new_per_day=5)
    assert ReviewSession(bank).counts().new == 5


def test_a_right_answer_on_a_known_card_is_a_successful_recall(
    bank: Services, clock: FakeClock
) -> None:
    exams = ExamService(bank)
    aid = exams.start(small_blueprint(), seed=4, mode="untimed")
    questions = exams.load(aid).questions
    known, unseen, wrong = questions[0], questions[1], questions[2]
    _study_to_review(bank, clock, [known.item.id])
    clock.advance(days=5)
    before = _cards(bank)[known.item.id]
    exams.answer(aid, known.position, known.item.correct_keys)
    exams.answer(aid, unseen.position, unseen.item.correct_keys)
    exams.answer(aid, wrong.position, _wrong(wrong))
    exams.submit(aid)
    after = _cards(bank)
    k = after[known.item.id]
    assert k.state == REVIEW and k.reps == before.reps + 1 and k.lapses == 0
    assert k.stability > before.stability and k.last_review == clock()
    assert k.due > clock() + timedelta(days=3)  # not due again soon: it was recalled
    assert unseen.item.id not in after  # right on an item never studied: maybe a guess
    with bank.engine.connect() as conn:
        logs = conn.execute(
            sa.select(REVIEW_LOG.c.item_id, REVIEW_LOG.c.rating, REVIEW_LOG.c.state_before).where(
                REVIEW_LOG.c.source == "exam"
            )
        ).all()
    assert sorted(logs) == sorted(
        [(known.item.id, int(Rating.GOOD), REVIEW), (wrong.item.id, int(Rating.AGAIN), NEW)]
    )


def test_an_all_correct_attempt_after_misses_elsewhere_is_still_counted(
    bank: Services, clock: FakeClock
) -> None:
    """Right and wrong answers of one attempt are applied together, in one transaction."""
    exams = ExamService(bank)
    aid = exams.start(small_blueprint(), seed=9, mode="untimed")
    qs = exams.load(aid).questions
    _study_to_review(bank, clock, [q.item.id for q in qs])
    for q in qs[:4]:
        exams.answer(aid, q.position, q.item.correct_keys)
    exams.answer(aid, qs[4].position, _wrong(qs[4]))
    exams.submit(aid)
    cards = _cards(bank)
    assert [cards[q.item.id].reps for q in qs] == [2, 2, 2, 2, 2]
    assert cards[qs[4].item.id].state == RELEARNING
