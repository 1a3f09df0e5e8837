"""The readiness model's small parts, at their edges: pretest questions spread over sections,
the review calibration (observed over predicted lapses), and the share of a pool remembered.
Written against mutants that survived `mutmut` on core/readiness.py (session 6); the figures
are worked by hand in the comments."""

from __future__ import annotations

from pathlib import Path

import pytest

from certprep.banks.lint import load_blueprints
from certprep.core.readiness import ReviewEvidence, lapse_ratio, memory_share, scored_split


def test_pretest_questions_leave_the_sections_in_proportion_largest_remainder_first() -> None:
    # 10 questions, 3 pretest: 7 scored; 5, 3, 2 x 7/10 = 3.5, 2.1, 1.4 -> 3, 2, 1 and the one
    # left goes to the largest remainder (0.5)
    assert scored_split({"a": 5, "b": 3, "c": 2}, 3) == {"a": 4, "b": 2, "c": 1}
    # a tie goes to the section the blueprint lists first, not the first in the alphabet
    assert scored_split({"z": 1, "a": 1}, 1) == {"z": 1, "a": 0}
    # every question pretest: nothing scored
    assert scored_split({"x": 1}, 1) == {"x": 0}
    # no pretest, or no questions: as given
    assert scored_split({"a": 5, "b": 3}, 0) == {"a": 5, "b": 3}
    assert scored_split({"a": 0}, 2) == {"a": 0}


def test_the_ccs_form_scores_97_of_its_107_questions_section_by_section() -> None:
    blueprints = load_blueprints(Path(__file__).parent.parent / "question_banks" / "blueprints")
    ccs = blueprints["ccs"]
    questions = {s.key: s.questions for s in ccs.sections}
    scored = scored_split(questions, ccs.pretest_questions)
    assert sum(questions.values()) == 107 and sum(scored.values()) == 97
    for key, q in questions.items():  # each section loses its share, rounded down or up
        share = q * 97 / 107
        assert int(share) <= scored[key] <= int(share) + 1


def test_the_review_calibration_is_observed_over_predicted_lapses_shrunk_toward_one() -> None:
    # as many lapses as FSRS predicted: exactly 1
    assert lapse_ratio(ReviewEvidence(100, 90, 90.0)) == 1.0
    assert lapse_ratio(ReviewEvidence()) == 1.0  # no reviews yet
    # 20 lapses where 10 were predicted, 5 pseudo-lapses each side: 25 / 15
    assert lapse_ratio(ReviewEvidence(100, 80, 90.0)) == pytest.approx(25 / 15)
    # FSRS expected more recalls than reviews (rounding): no negative prediction, 5 / 5
    assert lapse_ratio(ReviewEvidence(10, 10, 12.0)) == 1.0
    # far more lapses than predicted, or none where many were: held within 1/4 and 4
    assert lapse_ratio(ReviewEvidence(100, 0, 99.0)) == 4.0
    assert lapse_ratio(ReviewEvidence(100, 100, 0.0)) == 0.25


def test_the_share_remembered_is_the_studied_share_times_calibrated_recall() -> None:
    assert memory_share(100, 50, 0.9, 1.0) == pytest.approx(0.45)
    assert memory_share(100, 50, 0.9, 2.0) == pytest.approx(0.5 * 0.8)  # forgetting doubled
    assert memory_share(100, 150, 0.9, 1.0) == pytest.approx(0.9)  # more cards than the pool
    assert memory_share(1, 1, 0.8, 1.0) == pytest.approx(0.8)  # a pool of one
    assert memory_share(10, 1, 0.8, 1.0) == pytest.approx(0.08)  # one card studied
    assert memory_share(100, 50, 0.5, 4.0) == 0.0  # forgetting beyond all: none, not less
    assert memory_share(0, 5, 0.9, 1.0) == 0.0
    assert memory_share(100, 0, 0.9, 1.0) == 0.0
    assert memory_share(100, 50, None, 1.0) == 0.0


def _sections(rate: float, mocks: int = 2) -> list:
    """Four sections of a 60-question form, each with ``mocks`` mocks at ``rate``, half the pool
    studied at 90 % recall."""
    from certprep.core.readiness import MockEvidence, SectionEvidence

    out = []
    for key, questions in (("a", 25), ("b", 15), ("c", 12), ("d", 8)):
        answered = questions
        right = round(rate * answered)
        mock = MockEvidence(right, answered, 40, 0.9)
        out.append(SectionEvidence(key, questions, 80, 40, 0.9, (mock,) * mocks))
    return out


def test_each_sections_forecast_carries_its_own_figures_and_a_sane_interval() -> None:
    from certprep.core.readiness import forecast

    for rate in (0.3, 0.7, 0.95):
        f = forecast(_sections(rate), ReviewEvidence(), 0.70)
        assert [s.key for s in f.sections] == ["a", "b", "c", "d"]
        assert [s.questions for s in f.sections] == [25, 15, 12, 8]
        assert [s.answered for s in f.sections] == [50, 30, 24, 16]  # two mocks each
        for s in f.sections:
            assert s.unseen == pytest.approx(0.5)  # 40 of 80 studied
            assert s.memory == pytest.approx(memory_share(80, 40, 0.9, 1.0))
            assert 0.0 <= s.low < s.expected < s.high <= 1.0
            if s.low > 0 and s.high < 1:  # not clipped: symmetric about the expectation
                assert s.expected - s.low == pytest.approx(s.high - s.expected)
        assert 0.0 <= f.low < f.expected < f.high <= 1.0
        assert 0.0 <= f.pass_probability <= 1.0 and f.total == 60 and f.need == 42


def test_the_forecast_orders_learners_and_its_interval_narrows_with_evidence() -> None:
    from certprep.core.readiness import forecast

    weak, middling, strong = (
        forecast(_sections(r), ReviewEvidence(), 0.70) for r in (0.3, 0.7, 0.95)
    )
    assert weak.pass_probability < 0.01 < middling.pass_probability < 0.99 < strong.pass_probability
    assert weak.expected < middling.expected < strong.expected
    few = forecast(_sections(0.7, mocks=1), ReviewEvidence(), 0.70)
    many = forecast(_sections(0.7, mocks=6), ReviewEvidence(), 0.70)
    for a, b in zip(few.sections, many.sections, strict=True):
        assert b.high - b.low < a.high - a.low  # more answers, a narrower section interval
    # a strong learner whose reviews show twice the predicted forgetting is forecast lower
    forgetful = ReviewEvidence(200, 160, 180.0)  # 40 lapses where 20 were predicted
    assert forecast(_sections(0.95), forgetful, 0.70).expected < strong.expected


def test_a_form_with_no_scored_questions_forecasts_nothing() -> None:
    from certprep.core.readiness import forecast

    f = forecast([], ReviewEvidence(), 0.70)
    assert (f.expected, f.low, f.high, f.pass_probability, f.total) == (0.0, 0.0, 0.0, 0.0, 0)


def test_a_topics_own_answers_move_it_away_from_its_section() -> None:
    """Weak topics come from this: a topic answered wrong again and again is predicted below its
    section, one answered right above it, and more answers move it further."""
    from certprep.core.readiness import forecast, topic_correctness

    f = forecast(_sections(0.7), ReviewEvidence(), 0.70)
    section = f.sections[0]
    alone = topic_correctness(section, 0, 0, section.memory)
    assert alone == pytest.approx(section.expected, abs=0.05)  # no answers: about its section
    wrong = [topic_correctness(section, 0, n, section.memory) for n in (3, 10, 30)]
    right = [topic_correctness(section, n, n, section.memory) for n in (3, 10, 30)]
    assert wrong[2] < wrong[1] < wrong[0] < alone < right[0] < right[1] < right[2]
    # 30 answers all wrong cost a fifth or more of the point; all right add a tenth or more
    assert wrong[2] < alone - 0.2 and right[2] > alone + 0.1
    # remembering more of the topic's pool predicts it higher, answers or not
    assert topic_correctness(section, 0, 0, 0.9) > topic_correctness(section, 0, 0, 0.1)
