"""Every report figure on hand-built histories, and ranking stability."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from certprep.core.report import (
    GUESS,
    AnswerFact,
    CardFact,
    build_groups,
    predicted_correctness,
    readiness,
    weak_topics,
    wilson,
)

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
QUESTIONS = {"icd10cm": 10, "hcpcs": 5}


def ans(i: int, section: str, topic: str, correct: bool, attempt: int = 1) -> AnswerFact:
    return AnswerFact(attempt, f"{section}-{i}", section, (topic,), correct, NOW)


def test_wilson_matches_the_textbook_values() -> None:
    lo, hi = wilson(8, 10)
    assert math.isclose(lo, 0.4902, abs_tol=1e-3) and math.isclose(hi, 0.9433, abs_tol=1e-3)
    assert wilson(0, 0) == (0.0, 1.0)


def test_accuracy_interval_trend_and_small_sample() -> None:
    answers = [ans(i, "icd10cm", "diabetes", i < 6, attempt=1) for i in range(8)]
    answers += [ans(i, "icd10cm", "diabetes", i < 7, attempt=2) for i in range(8)]
    [g] = build_groups(answers, [], QUESTIONS, NOW, by="section")
    assert (g.answered, g.right) == (16, 13)
    assert g.accuracy == 13 / 16 and not g.small_sample
    assert g.trend == [6 / 8, 7 / 8]
    [small] = build_groups(answers[:5], [], QUESTIONS, NOW)
    assert small.small_sample


def test_memory_due_and_overdue() -> None:
    cards = [
        CardFact("a", "hcpcs", ("modifiers",), 0.9, NOW - timedelta(days=3)),
        CardFact("b", "hcpcs", ("modifiers",), 0.7, NOW + timedelta(days=3)),
        CardFact("c", "hcpcs", ("modifiers",), None, None),
    ]
    [g] = build_groups([], cards, QUESTIONS, NOW)
    assert g.cards == 3 and g.studied == 2
    assert math.isclose(g.mean_r, (0.9 + 0.7 + GUESS) / 3)
    assert (g.due, g.overdue) == (1, 1)


def test_predicted_correctness_combines_both_kinds_of_evidence() -> None:
    assert predicted_correctness(0, 0, None) == GUESS
    assert predicted_correctness(8, 10, None) == 9 / 12
    assert predicted_correctness(8, 10, 0.5) == (9 / 12 + 0.5) / 2


def test_weak_topics_rank_by_points_lost() -> None:
    cards = [CardFact(f"d{i}", "icd10cm", ("diabetes",), 0.9, None) for i in range(5)]
    cards += [CardFact(f"n{i}", "icd10cm", ("neoplasms",), 0.5, None) for i in range(5)]
    cards += [CardFact(f"m{i}", "hcpcs", ("modifiers",), 0.5, None) for i in range(5)]
    groups = build_groups([], cards, QUESTIONS, NOW, by="topic")
    ranked = [g.key for g in weak_topics(groups)]
    # neoplasms: 5 questions x 0.5 lost = 2.5; modifiers: 5 x 0.5 = 2.5 (tie, by name); diabetes 0.5
    assert ranked == ["modifiers", "neoplasms", "diabetes"]
    assert math.isclose(weak_topics(groups)[0].score, 2.5)


@given(st.lists(st.tuples(st.sampled_from(["x1", "x2", "x3"]), st.booleans()), max_size=40))
def test_ranking_is_stable_under_irrelevant_data(extra) -> None:
    base_answers = [ans(i, "icd10cm", "diabetes", i % 3 == 0) for i in range(9)]
    base_answers += [ans(i, "icd10cm", "neoplasms", i % 2 == 0) for i in range(9)]
    cards = [
        CardFact(f"c{i}", "icd10cm", ("diabetes" if i % 2 else "neoplasms",), 0.8, None)
        for i in range(10)
    ]
    before = [
        g.key
        for g in weak_topics(build_groups(base_answers, cards, QUESTIONS, NOW, by="topic"), 50)
    ]
    noise = [ans(100 + i, "hcpcs", topic, ok) for i, (topic, ok) in enumerate(extra)]
    after = [
        g.key
        for g in weak_topics(
            build_groups(base_answers + noise, cards, QUESTIONS, NOW, by="topic"), 50
        )
    ]
    assert [k for k in after if k in before] == before


def test_readiness_with_known_inputs() -> None:
    answers = [ans(i, "icd10cm", "t", i < 9) for i in range(10)] + [
        ans(i, "hcpcs", "t", i < 2) for i in range(10)
    ]
    sections = build_groups(answers, [], QUESTIONS, NOW)
    r = readiness(sections, QUESTIONS, 0.7, "today")
    expected = (10 * (10 / 12) + 5 * (3 / 12)) / 15
    assert math.isclose(r.expected, expected)
    assert r.low < r.expected < r.high
    assert 0.3 < r.pass_probability < 0.9
    perfect = build_groups(
        [ans(i, s, "t", True) for s in QUESTIONS for i in range(200)], [], QUESTIONS, NOW
    )
    assert readiness(perfect, QUESTIONS, 0.7, "today").pass_probability > 0.99
