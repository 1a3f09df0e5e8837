"""The report's chance of passing from a database: the learners issue 16 names, and CCS pretest."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from certprep.banks.importer import import_bank
from certprep.core.scheduling import REVIEW, CardState
from certprep.services import Services
from certprep.services.report import build_report
from certprep.services.report_format import prob, to_json, to_text
from certprep.store.engine import writing
from certprep.store.tables import CARD, EXAM_ANSWER, EXAM_ATTEMPT, REVIEW_LOG

from .conftest import make_bank

pytestmark = pytest.mark.both_backends

PER_SECTION = 20


def load(services: Services, exam: str, topics: int = 1) -> dict[str, list[str]]:
    """A bank of PER_SECTION items in every section of ``exam``; item ids per section."""
    keys = [s.key for s in services.blueprint(exam).sections]
    bank = make_bank(PER_SECTION * len(keys), name=exam, exam=exam, sections=tuple(keys))
    for n, item in enumerate(bank.items):
        item.topics = [f"topic-{(n + k) % 7}" for k in range(topics)]
    import_bank(services.engine, bank, checksum=exam)
    out: dict[str, list[str]] = {k: [] for k in keys}
    for item in bank.items:
        out[item.section].append(item.id)
    return out


def sit(
    services: Services,
    exam: str,
    items: dict[str, list[str]],
    right: int,
    days_ago: int,
    attempt: int,
    pretest_wrong: int = 0,
) -> None:
    """A submitted full mock with ``right`` scored answers right (the misses spread out)."""
    bp = services.blueprint(exam)
    lid = services.learner_id
    now = services.clock()
    at = now - timedelta(days=days_ago)
    plan = [(s.key, i) for s in bp.sections for i in range(s.questions)]
    scored = len(plan) - pretest_wrong
    wrong = (
        {round(k * scored / (scored - right)) for k in range(scored - right)}
        if right < scored
        else set()
    )
    rows = []
    for pos, (section, i) in enumerate(plan):
        pretest = pos >= scored
        rows.append(
            {
                "attempt_id": attempt,
                "position": pos,
                "item_id": items[section][i % PER_SECTION],
                "section": section,
                "choice_order": ["a", "b", "c", "d"],
                "response": ["a"],
                "struck": [],
                "correct": False if pretest else pos not in wrong,
                "pretest": pretest,
                "answered_at": at,
            }
        )
    with writing(services.engine) as conn:
        conn.execute(
            sa.insert(EXAM_ATTEMPT).values(
                id=attempt,
                learner_id=lid,
                blueprint_key=exam,
                blueprint=bp.model_dump(mode="json"),
                title=f"mock {attempt}",
                seed=attempt,
                mode="timed",
                status="submitted",
                started_at=at,
                time_limit_s=14400,
                time_used_s=7200.0,
            )
        )
        conn.execute(sa.insert(EXAM_ANSWER), rows)


def study_all_good(services: Services, items: dict[str, list[str]]) -> None:
    """Every card studied over six weeks, every review rated Good, memory strong today."""
    now = services.clock()
    lid = services.learner_id
    cards, logs = [], []
    for ids in items.values():
        for item in ids:
            stability = 2.0
            last = now - timedelta(days=40)
            for _ in range(4):
                at = last + timedelta(days=stability)
                before = CardState(REVIEW, None, stability, 5.0, at, last, 1, 0)
                logs.append(
                    {
                        "learner_id": lid,
                        "item_id": item,
                        "rating": 3,
                        "reviewed_at": at,
                        "source": "review",
                        "state_before": REVIEW,
                        "card_before": before.to_dict(),
                    }
                )
                last, stability = at, stability * 2.5
            cards.append(
                {
                    "learner_id": lid,
                    "item_id": item,
                    "state": REVIEW,
                    "stability": stability,
                    "difficulty": 5.0,
                    "due": last + timedelta(days=stability),
                    "last_review": last,
                    "reps": 5,
                    "introduced_at": now - timedelta(days=40),
                }
            )
    with writing(services.engine) as conn:
        conn.execute(sa.insert(CARD), cards)
        conn.execute(sa.insert(REVIEW_LOG), logs)


def test_three_cpc_mocks_at_95_percent_mean_a_high_chance(services: Services) -> None:
    items = load(services, "cpc")
    for n in (1, 2, 3):
        sit(services, "cpc", items, right=95, days_ago=10 - 3 * n, attempt=n)
    rep = build_report(services, "cpc")
    assert [a.score for a in rep.attempts] == [0.95, 0.95, 0.95]
    r = rep.readiness
    assert r.pass_probability > 0.97  # the old model said 1.8 %
    assert r.expected > 0.85 and r.low > 0.7
    assert f"chance of passing {prob(r.pass_probability)}" in to_text([rep], "tester")


def test_a_probability_never_prints_as_certainty() -> None:
    assert (prob(0.999), prob(0.001), prob(0.5)) == (">99%", "<1%", "50%")


def test_every_card_good_but_no_mock_is_likely_not_certain(services: Services) -> None:
    items = load(services, "cpc")
    study_all_good(services, items)
    rep = build_report(services, "cpc")
    r = rep.readiness
    assert 0.5 < r.pass_probability < 0.98  # the old model said 100 %
    assert r.high - r.low > 0.2
    assert all(g.studied == g.cards == PER_SECTION for g in rep.sections)
    assert all(g.mean_r is not None and g.mean_r > 0.9 for g in rep.sections)
    assert r.lapse_ratio < 1  # never forgot at a review


def test_ccs_leaves_its_pretest_items_out_of_score_forecast_and_report(
    services: Services,
) -> None:
    items = load(services, "ccs")
    # 68 of the 97 scored right (70.1 %): a pass; the 10 pretest items all wrong do not count
    sit(services, "ccs", items, right=68, days_ago=2, attempt=1, pretest_wrong=10)
    rep = build_report(services, "ccs")
    assert rep.attempts[0].score == pytest.approx(68 / 97) and rep.attempts[0].passed
    assert (rep.readiness.total, rep.readiness.need) == (97, 68)
    assert sum(rep.scored_questions.values()) == 97
    assert sum(g.weight for g in rep.sections) == 97
    assert sum(g.answered for g in rep.sections) == 97
    assert '"scored_questions": 97' in to_json([rep], "tester")
    assert "(68 of 97 scored questions)" in to_text([rep], "tester")


def test_a_sections_topics_never_lose_more_than_its_questions(services: Services) -> None:
    items = load(services, "cpc", topics=3)  # every item tagged with three topics
    for n in (1, 2):
        sit(services, "cpc", items, right=30, days_ago=5 - n, attempt=n)
    rep = build_report(services, "cpc")
    for s in rep.sections:
        lost = sum(t.score for t in rep.topics if t.section == s.key)
        assert lost <= s.weight + 1e-9, s.key
