"""The readiness forecast (core/readiness.py): what a learner would notice about their chances."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from certprep.core.readiness import (
    MockEvidence,
    ReviewEvidence,
    SectionEvidence,
    forecast,
    need_to_pass,
    scored_split,
)

# the CPC blueprint's sections (question counts add up to 100)
CPC = {
    "surgery_10000": 6,
    "surgery_20000": 6,
    "surgery_30000": 6,
    "surgery_40000": 6,
    "surgery_50000": 6,
    "surgery_60000": 6,
    "em": 6,
    "anesthesia": 4,
    "radiology": 6,
    "pathology_lab": 6,
    "medicine": 6,
    "terminology": 4,
    "anatomy": 4,
    "icd10cm": 10,
    "hcpcs": 5,
    "coding_guidelines": 8,
    "compliance": 5,
}
POOL = 20  # items per section in these examples
NONE = ReviewEvidence()


def mocks_at(rate: float, n_mocks: int) -> list[SectionEvidence]:
    """Every section answered at ``rate`` on each of ``n_mocks`` full mocks, no cards."""
    return [
        SectionEvidence(
            key,
            q,
            POOL,
            mocks=tuple(MockEvidence(round(rate * q), q, 0, None) for _ in range(n_mocks)),
        )
        for key, q in CPC.items()
    ]


def all_good(r: float = 0.93) -> tuple[list[SectionEvidence], ReviewEvidence]:
    """Every card studied and remembered, every review rated Good; no mock ever sat."""
    secs = [SectionEvidence(key, q, POOL, POOL, r) for key, q in CPC.items()]
    n = POOL * len(CPC) * 4
    return secs, ReviewEvidence(n, n, 0.9 * n)


def test_three_mocks_at_95_percent_give_a_high_chance_of_passing() -> None:
    f = forecast(mocks_at(0.95, 3), NONE, 0.70)
    assert f.pass_probability > 0.97
    assert f.expected > 0.85 and f.low > 0.70


def test_three_mocks_at_50_percent_give_a_low_chance() -> None:
    f = forecast(mocks_at(0.5, 3), NONE, 0.70)
    assert f.pass_probability < 0.03
    assert f.high < 0.70


def test_never_sat_a_mock_but_every_card_good_is_not_certain() -> None:
    secs, reviews = all_good()
    f = forecast(secs, reviews, 0.70)
    assert 0.5 < f.pass_probability < 0.98  # memory is evidence, but not of the exam itself
    assert f.high - f.low > 0.2  # and the interval says how little we know
    sat = forecast(mocks_at(0.9, 3), NONE, 0.70)
    assert sat.high - sat.low < f.high - f.low


def test_thin_data_shrinks_to_the_prior() -> None:
    nothing = forecast([SectionEvidence(k, q, POOL) for k, q in CPC.items()], NONE, 0.70)
    one = [SectionEvidence(k, q, POOL) for k, q in CPC.items()]
    one[0] = SectionEvidence("surgery_10000", 6, POOL, mocks=(MockEvidence(1, 1, 0, None),))
    thin = forecast(one, NONE, 0.70)
    # one right answer is not 100 % in that section, and barely moves the whole forecast
    assert thin.sections[0].expected < 0.75
    assert abs(thin.expected - nothing.expected) < 0.04
    assert abs(thin.pass_probability - nothing.pass_probability) < 0.1
    # while a lot of data moves it all the way
    lots = forecast(mocks_at(0.95, 10), NONE, 0.70)
    assert lots.expected > 0.88


def test_a_section_with_little_data_leans_on_the_learners_other_sections() -> None:
    secs = mocks_at(0.9, 3)
    secs[0] = SectionEvidence("surgery_10000", 6, POOL)  # never answered
    strong = forecast(secs, NONE, 0.70).sections[0].expected
    weak = (
        forecast(
            [
                *mocks_at(0.45, 3)[:0],
                SectionEvidence("surgery_10000", 6, POOL),
                *mocks_at(0.45, 3)[1:],
            ],
            NONE,
            0.70,
        )
        .sections[0]
        .expected
    )
    assert strong > weak + 0.15


def test_forgetting_more_than_fsrs_predicts_lowers_the_forecast() -> None:
    secs, reviews = all_good(0.85)
    keeps = forecast(secs, reviews, 0.70)
    forgets = forecast(
        secs, ReviewEvidence(reviews.reviews, int(0.6 * reviews.reviews), reviews.expected), 0.70
    )
    assert forgets.lapse_ratio > 2 and keeps.lapse_ratio < 0.5
    assert forgets.expected < keeps.expected - 0.05
    assert forgets.sections[0].memory < keeps.sections[0].memory


def test_study_since_a_mock_counts_on_exam_day() -> None:
    before = [
        SectionEvidence(k, q, POOL, POOL, 0.9, (MockEvidence(round(0.6 * q), q, 0, None),))
        for k, q in CPC.items()
    ]  # the mock was sat before any card was studied; everything studied since
    same_time = [
        SectionEvidence(k, q, POOL, POOL, 0.9, (MockEvidence(round(0.6 * q), q, POOL, 0.9),))
        for k, q in CPC.items()
    ]  # the mock was sat with the same memory as now
    assert forecast(before, NONE, 0.7).expected > forecast(same_time, NONE, 0.7).expected + 0.05


def test_unseen_items_are_unknown_not_a_quarter() -> None:
    f = forecast([SectionEvidence(k, q, POOL) for k, q in CPC.items()], NONE, 0.70)
    assert all(s.unseen == 1.0 and s.memory == 0.0 for s in f.sections)
    assert 0.45 < f.expected < 0.75  # the population prior, not 25 %
    assert f.high - f.low > 0.3


@settings(max_examples=40, deadline=None)
@given(st.floats(0.3, 0.95), st.floats(0.0, 0.05), st.integers(1, 4))
def test_more_right_answers_never_lower_the_chance(rate: float, more: float, n: int) -> None:
    lo = forecast(mocks_at(rate, n), NONE, 0.70)
    hi = forecast(mocks_at(min(1.0, rate + more), n), NONE, 0.70)
    assert hi.pass_probability >= lo.pass_probability - 1e-9
    assert lo.low <= lo.expected <= lo.high


@pytest.mark.parametrize(
    ("mark", "total", "need"),
    [(0.70, 135, 95), (0.70, 100, 70), (0.70, 97, 68), (0.7, 10, 7), (0.65, 20, 13)],
)
def test_the_cut_is_exact(mark: float, total: int, need: int) -> None:
    assert need_to_pass(mark, total) == need


def test_the_cut_matches_scoring_for_every_count() -> None:
    from certprep.core.models import Blueprint
    from certprep.core.scoring import ScoredAnswer, score

    bp = Blueprint.model_validate(
        {
            "key": "cpb",
            "name": "CPB",
            "questions": 135,
            "time_limit_minutes": 240,
            "pass_mark": 0.70,
            "sections": [{"key": "billing", "title": "Billing", "questions": 135}],
        }
    )
    for right in range(90, 100):
        answers = [ScoredAnswer("billing", i < right) for i in range(135)]
        assert score(bp, answers).passed == (right >= need_to_pass(0.70, 135)), right
    assert not score(bp, [ScoredAnswer("billing", i < 94) for i in range(135)]).passed
    assert score(bp, [ScoredAnswer("billing", i < 95) for i in range(135)]).passed


def test_pretest_items_leave_the_form() -> None:
    ccs = {"knowledge": 50, "documentation": 22, "queries": 14, "compliance": 13, "it": 8}
    split = scored_split(ccs, 10)
    assert sum(split.values()) == 97
    assert all(abs(split[k] - ccs[k] * 97 / 107) < 1 for k in ccs)
    assert scored_split(CPC, 0) == CPC
    f = forecast([SectionEvidence(k, q, POOL) for k, q in split.items()], NONE, 0.70)
    assert (f.total, f.need) == (97, 68)


def test_no_questions_no_crash() -> None:
    f = forecast([], NONE, 0.7)
    assert f.pass_probability == 0.0 and f.total == 0
    assert math.isfinite(f.expected)


def test_the_simulator_runs_and_the_forecast_is_not_absurd() -> None:
    """A few hundred simulated learners (the real figures come from benchmarks/readiness.py)."""
    from benchmarks.readiness import render, run

    result = run(300, 11, "cpc")
    assert result["learners"] == 300
    assert result["ece"] < 0.12
    assert result["brier_with_mock"] < result["brier_naive"]
    assert result["brier"] < result["brier_base_rate"]
    text = render(result)
    assert "ECE (10 bins)" in text and "naive" in text
