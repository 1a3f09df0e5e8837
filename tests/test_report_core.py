"""Every report figure on hand-built histories, and ranking stability."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from certprep.core.readiness import ReviewEvidence
from certprep.core.report import (
    AnswerFact,
    CardFact,
    Group,
    apply_forecast,
    build_groups,
    readiness,
    section_evidence,
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
    assert math.isclose(g.mean_r, (0.9 + 0.7) / 2)  # of what was studied; unseen counted apart
    assert math.isclose(g.unseen, 1 / 3)
    assert (g.due, g.overdue) == (1, 1)


def analyse(
    answers: list[AnswerFact], cards: list[CardFact], questions: dict[str, int] = QUESTIONS
) -> tuple[list[Group], list[Group]]:
    """Sections and topics with the forecast applied, as the report service does."""
    sections = build_groups(answers, cards, questions, NOW)
    topics = build_groups(answers, cards, questions, NOW, by="topic")
    known = {g.key for g in sections}
    sections += [Group(k, k, weight=q) for k, q in questions.items() if k not in known]
    memory = {1: {}, 2: {}}
    _, fc = readiness(
        section_evidence(sections, questions, answers, memory), ReviewEvidence(), 0.7, "today"
    )
    apply_forecast(sections, topics, fc)
    return sections, topics


def test_weak_topics_rank_by_points_lost() -> None:
    cards = [CardFact(f"d{i}", "icd10cm", ("diabetes",), 0.9, None) for i in range(5)]
    cards += [CardFact(f"n{i}", "icd10cm", ("neoplasms",), 0.5, None) for i in range(5)]
    cards += [CardFact(f"m{i}", "hcpcs", ("modifiers",), 0.5, None) for i in range(5)]
    answers = [ans(i, "icd10cm", "neoplasms", i < 2) for i in range(6)]
    answers += [ans(10 + i, "icd10cm", "diabetes", i < 6) for i in range(6)]
    _, topics = analyse(answers, cards)
    ranked = weak_topics(topics)
    # neoplasms (5 of icd10cm's 10 questions, 2 of 6 right) loses more than diabetes (6 of 6)
    assert [g.key for g in ranked].index("neoplasms") < [g.key for g in ranked].index("diabetes")
    by = {g.key: g for g in topics}
    assert by["neoplasms"].weight == 5 and by["modifiers"].weight == 5
    assert by["neoplasms"].predicted < by["diabetes"].predicted
    assert math.isclose(by["neoplasms"].score, 5 * (1 - by["neoplasms"].predicted))


def test_an_item_with_several_topics_counts_once() -> None:
    # ten questions' worth of a section, every item tagged with three topics, every answer wrong
    cards = [CardFact(f"x{i}", "icd10cm", ("a", "b", "c"), None, None) for i in range(10)]
    answers = [
        AnswerFact(att, f"x{i}", "icd10cm", ("a", "b", "c"), False, NOW)
        for att in (1, 2)
        for i in range(10)
    ]
    sections, topics = analyse(answers, cards)
    icd = [g for g in topics if g.section == "icd10cm"]
    assert math.isclose(sum(g.weight for g in icd), 10)
    assert sum(g.score for g in icd) <= 10
    icd_section = next(g for g in sections if g.key == "icd10cm")
    assert sum(g.score for g in icd) == pytest.approx(icd_section.score, rel=0.2)


@given(
    st.lists(
        st.tuples(
            st.sets(st.sampled_from("abcde"), max_size=4), st.booleans(), st.sampled_from([0, 1])
        ),
        min_size=1,
        max_size=30,
    )
)
def test_topics_never_lose_more_points_than_their_section_has(items) -> None:
    cards = [
        CardFact(f"i{n}", "icd10cm", tuple(sorted(t)), None, None)
        for n, (t, _, _) in enumerate(items)
    ]
    answers = [
        AnswerFact(att + 1, f"i{n}", "icd10cm", tuple(sorted(t)), ok, NOW)
        for n, (t, ok, att) in enumerate(items)
    ]
    _, topics = analyse(answers, cards)
    lost = sum(g.score for g in topics if g.section == "icd10cm")
    assert lost <= QUESTIONS["icd10cm"] + 1e-9
    assert math.isclose(sum(g.weight for g in topics if g.section == "icd10cm"), 10)


@given(st.lists(st.tuples(st.sampled_from(["x1", "x2", "x3"]), st.booleans()), max_size=40))
def test_ranking_is_stable_under_irrelevant_data(extra) -> None:
    base_answers = [ans(i, "icd10cm", "diabetes", i % 3 == 0) for i in range(9)]
    base_answers += [ans(i, "icd10cm", "neoplasms", i % 2 == 0) for i in range(9)]
    cards = [
        CardFact(f"c{i}", "icd10cm", ("diabetes" if i % 2 else "neoplasms",), 0.8, None)
        for i in range(10)
    ]
    before = [g.key for g in weak_topics(analyse(base_answers, cards)[1], 50)]
    noise = [ans(100 + i, "hcpcs", topic, ok) for i, (topic, ok) in enumerate(extra)]
    after = [g.key for g in weak_topics(analyse(base_answers + noise, cards)[1], 50)]
    assert [k for k in after if k in before] == before


def test_readiness_with_known_inputs() -> None:
    answers = [ans(i, "icd10cm", "t", i < 9) for i in range(10)] + [
        ans(i, "hcpcs", "t", i < 2) for i in range(10)
    ]
    sections, _ = analyse(answers, [])
    r, fc = readiness(
        section_evidence(sections, QUESTIONS, answers, {}), ReviewEvidence(), 0.7, "today"
    )
    icd, hcpcs = (next(s for s in fc.sections if s.key == k) for k in ("icd10cm", "hcpcs"))
    assert icd.expected > 0.65 and hcpcs.expected < 0.5 and icd.expected > hcpcs.expected + 0.25
    assert math.isclose(r.expected, (10 * icd.expected + 5 * hcpcs.expected) / 15)
    assert r.low < r.expected < r.high
    assert (r.need, r.total) == (11, 15)
    assert 0.2 < r.pass_probability < 0.8
    perfect_answers = [ans(i, s, "t", True) for s in QUESTIONS for i in range(200)]
    perfect, _ = analyse(perfect_answers, [])
    r2, _ = readiness(
        section_evidence(perfect, QUESTIONS, perfect_answers, {}), ReviewEvidence(), 0.7, "t"
    )
    assert r2.pass_probability > 0.99
