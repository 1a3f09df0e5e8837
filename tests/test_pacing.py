"""Pacing against the exam's budget: per section, the slowest questions, where the pace leads."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from certprep.core.pacing import Timed, pace_gap_s, pacing

CPC_LIMIT = 240 * 60  # 100 questions: 2.4 minutes each


def form(seconds: list[float], sections: str = "ab") -> list[Timed]:
    return [Timed(i, sections[i % len(sections)], s, s > 0) for i, s in enumerate(seconds)]


def test_a_slow_learner_is_told_where_the_clock_stops() -> None:
    # 3 minutes a question on the CPC: 240 / 3 = question 80
    p = pacing(form([180.0] * 100), time_limit_s=CPC_LIMIT)
    assert p.budget_s == 144.0
    assert p.reaches == 80 and not p.finishes
    assert "you reach question 80 of 100 when time runs out" in p.verdict()


def test_a_learner_within_budget_reaches_every_question() -> None:
    p = pacing(form([120.0] * 100), time_limit_s=CPC_LIMIT)
    assert p.reaches == 100 and p.finishes
    assert "every question" in p.verdict()


def test_sections_and_slowest_questions() -> None:
    times = [Timed(0, "em", 60, True), Timed(1, "surg", 400, True), Timed(2, "surg", 200, True)]
    p = pacing(times, time_limit_s=3 * 144, titles={"surg": "Surgery"}, slowest=2)
    surg = next(s for s in p.sections if s.key == "surg")
    assert surg.title == "Surgery" and surg.per_question_s == 300
    assert [t.position for t in p.slowest] == [1, 2]


def test_untimed_has_no_projection() -> None:
    p = pacing(form([100.0] * 10), time_limit_s=None)
    assert p.reaches is None and p.finishes and "Untimed" in p.verdict()


def test_pace_gap_sign() -> None:
    assert pace_gap_s(answered=10, used_s=1200, budget_s=144) == 240  # 4 minutes ahead
    assert pace_gap_s(answered=10, used_s=1600, budget_s=144) < 0


@given(st.lists(st.floats(min_value=1, max_value=900), min_size=1, max_size=150))
def test_projection_never_passes_the_form_and_agrees_with_the_limit(seconds) -> None:
    limit = len(seconds) * 144.0
    p = pacing(form(seconds), time_limit_s=limit)
    assert p.reaches is not None and 0 <= p.reaches <= len(seconds)
    # the questions reached at this pace fit in the limit; one more would not (unless all fit)
    assert p.reaches * p.per_question_s <= limit + 1e-6
    if p.reaches < len(seconds):
        assert (p.reaches + 1) * p.per_question_s > limit


def test_a_sections_pace_is_its_own_answered_questions_time() -> None:
    """Each section's time per question is its own time over its own answered questions, as the
    overall pace is over the answered ones: questions left blank (no time) do not halve it."""
    times = [
        Timed(0, "surg", 300, True),
        Timed(1, "surg", 0, False),  # not reached
        Timed(2, "em", 100, True),
        Timed(3, "em", 140, True),
    ]
    p = pacing(times, time_limit_s=4 * 144, titles={"surg": "Surgery", "em": "E/M"})
    by_key = {s.key: s for s in p.sections}
    assert by_key["surg"].per_question_s == 300  # one answered, in 300 s: over the 144 s budget
    assert by_key["surg"].questions == 2 and by_key["surg"].answered == 1
    assert by_key["em"].per_question_s == 120
    assert p.per_question_s == 540 / 3
    # a section with nothing answered: its time over its questions, as the overall pace does
    idle = pacing([Timed(0, "a", 60, False), Timed(1, "a", 0, False)], time_limit_s=288)
    assert idle.sections[0].per_question_s == 30
