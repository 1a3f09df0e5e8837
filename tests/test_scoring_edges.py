"""What a learner reads off a submitted mock, at its edges: exactly the pass mark, the CCS
stand-in line's three readings, unanswered questions per section, time, and a result stored and
read back. Written against mutants that survived `mutmut` on core/scoring.py (session 6)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from certprep.banks.lint import load_blueprints
from certprep.core.scoring import (
    Score,
    ScoredAnswer,
    format_duration,
    format_points,
    pass_line,
    score,
    wilson_interval,
)

BLUEPRINTS = load_blueprints(Path(__file__).parent.parent / "question_banks" / "blueprints")


def _form(exam: str, right: int, *, blank: int = 0, seconds: float = 60.0) -> list[ScoredAnswer]:
    """A form of ``exam``'s sections in order: the first ``right`` scored questions right, the
    last ``blank`` left unanswered, the rest wrong; pretest questions answered wrong."""
    bp = BLUEPRINTS[exam]
    sections = [s.key for s in bp.sections for _ in range(s.questions)]
    scored = len(sections) - bp.pretest_questions
    out = []
    for n, key in enumerate(sections):
        if n >= scored:
            out.append(ScoredAnswer(key, False, pretest=True, time_spent_s=seconds))
        elif n >= scored - blank:
            out.append(ScoredAnswer(key, None, time_spent_s=seconds))
        else:
            out.append(ScoredAnswer(key, n < right, time_spent_s=seconds))
    return out


def test_exactly_the_pass_mark_passes_and_one_less_fails() -> None:
    cpc = BLUEPRINTS["cpc"]
    assert cpc.pass_mark == 0.70 and cpc.questions == 100 and cpc.pretest_questions == 0
    at = score(cpc, _form("cpc", 70))
    assert (at.right, at.total, at.passed) == (70, 100, True)
    below = score(cpc, _form("cpc", 69))
    assert (below.right, below.passed) == (69, False)
    # CPB: 70 % of 135 is 94.5, so 95 right answers are needed
    cpb = BLUEPRINTS["cpb"]
    assert score(cpb, _form("cpb", 95)).passed
    assert not score(cpb, _form("cpb", 94)).passed


def test_nothing_scored_is_never_a_pass() -> None:
    cpc = BLUEPRINTS["cpc"]
    empty = score(cpc, [])
    assert (empty.total, empty.passed, empty.fraction) == (0, False, 0.0)
    assert (empty.per_question_s, empty.slowest_s) == (0.0, 0.0)


def test_sections_carry_the_blueprints_titles_and_their_own_unanswered() -> None:
    cpc = BLUEPRINTS["cpc"]
    result = score(cpc, _form("cpc", 50, blank=7))
    titles = {s.key: s.title for s in cpc.sections}
    assert [s.key for s in result.sections] == [s.key for s in cpc.sections]
    assert all(s.title == titles[s.key] for s in result.sections)
    assert result.sections[0].title == "Surgery 10000 series: integumentary system"
    assert (result.answered, result.unanswered) == (93, 7)
    assert sum(s.unanswered for s in result.sections) == 7
    # the blank ones are the form's last seven: all in its last sections
    tail = [s.unanswered for s in result.sections][-3:]
    assert sum(tail) == 7 and result.sections[0].unanswered == 0
    # a section the blueprint does not name keeps its key as its title, after the named ones
    odd = score(cpc, [*_form("cpc", 10), ScoredAnswer("extra", True)])
    assert (odd.sections[-1].key, odd.sections[-1].title) == ("extra", "extra")


def test_pretest_questions_are_counted_apart_and_not_scored() -> None:
    ccs = BLUEPRINTS["ccs"]
    result = score(ccs, _form("ccs", 68))
    assert (result.total, result.pretest) == (97, 10)
    assert result.right == 68 and result.passed  # 68 / 97 = 70.1 %


def test_time_is_the_average_and_the_slowest_question() -> None:
    cpc = BLUEPRINTS["cpc"]
    answers = _form("cpc", 70, seconds=90.0)
    answers[3] = ScoredAnswer(answers[3].section, True, time_spent_s=600.0)
    result = score(cpc, answers, time_used_s=9510.0, time_limit_s=14400)
    assert result.per_question_s == pytest.approx((99 * 90 + 600) / 100)
    assert result.slowest_s == 600.0
    assert (result.time_used_s, result.time_limit_s) == (9510.0, 14400)


def test_the_wilson_interval_matches_the_textbook() -> None:
    # 8 of 10: (0.490, 0.943); 10 of 10: (0.722, 1); 0 of 10: (0, 0.278) (z = 1.96)
    assert wilson_interval(8, 10) == pytest.approx((0.4902, 0.9433), abs=5e-5)
    assert wilson_interval(10, 10) == pytest.approx((0.7225, 1.0), abs=5e-5)
    assert wilson_interval(0, 10) == pytest.approx((0.0, 0.2775), abs=5e-5)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    assert wilson_interval(1, 1) == pytest.approx((0.2065, 1.0), abs=5e-5)


def test_the_stand_in_pass_line_reads_above_below_and_too_close() -> None:
    cases = {95: ("above", "clearly above"), 45: ("below", "clearly below")}
    cases[70] = ("too_close", "too close to call against")
    for right, (verdict, words) in cases.items():
        line = pass_line(right, 97, 0.70)
        assert line.verdict == verdict
        assert f"That is {words} certprep's stand-in pass line of 70% raw" in line.statement
        assert (line.low, line.high) == wilson_interval(right, 97)
        assert line.pass_mark == 0.70
        assert f"Raw score {right}/97 = {right / 97:.0%}" in line.statement
    assert pass_line(0, 0, 0.7).statement.startswith("Raw score 0/0 = 0%")


def test_a_stored_result_reads_back_the_same() -> None:
    ccs = BLUEPRINTS["ccs"]
    answers = _form("ccs", 60, blank=5)
    answers[2] = ScoredAnswer(answers[2].section, False, credit=0.5)
    result = score(ccs, answers, time_used_s=4000.5, time_limit_s=14400)
    assert result.points is not None and result.pass_line is not None
    stored = result.to_dict()
    assert stored["score"] == result.fraction
    assert [s["fraction"] for s in stored["sections"]] == [s.fraction for s in result.sections]
    assert Score.from_dict(stored) == result


def test_partial_credit_adds_its_share_to_the_section_and_the_total() -> None:
    cpc = BLUEPRINTS["cpc"]
    answers = _form("cpc", 69)
    answers[80] = ScoredAnswer(answers[80].section, False, credit=0.75)
    result = score(cpc, answers)
    assert result.right == 69 and result.points == 69.75
    assert not result.passed  # 69.75 of 100 is under 70 %
    answers[81] = ScoredAnswer(answers[81].section, False, credit=0.25)
    assert score(cpc, answers).passed  # 70 points of 100
    plain = score(cpc, _form("cpc", 69))
    assert plain.points is None and all(s.points is None for s in plain.sections)
    # code items graded whole (credit 1 or 0) are plain right and wrong answers, not shares
    whole = _form("cpc", 69)
    whole[0] = ScoredAnswer(whole[0].section, True, credit=1.0)
    whole[90] = ScoredAnswer(whole[90].section, False, credit=0.0)
    assert score(cpc, whole).points is None


def test_a_one_question_quiz_answered_right_passes() -> None:
    one = score(BLUEPRINTS["cpc"], [ScoredAnswer("em", True)])
    assert (one.right, one.total, one.passed) == (1, 1, True)


def test_a_result_stored_before_time_was_kept_reads_back_with_no_time() -> None:
    stored = score(BLUEPRINTS["cpc"], _form("cpc", 80), time_used_s=5000.0).to_dict()
    for key in ("time_used_s", "time_limit_s", "per_question_s", "slowest_s", "sections"):
        del stored[key]
    old = Score.from_dict(stored)
    assert (old.time_used_s, old.time_limit_s, old.per_question_s, old.slowest_s) == (
        0.0,
        None,
        0.0,
        0.0,
    )
    assert old.sections == [] and old.right == 80 and old.passed


def test_durations_and_points_print_as_the_exam_clock_and_the_score_show_them() -> None:
    assert format_duration(3725.2) == "1:02:06"  # a started second counts
    assert format_duration(59) == "0:00:59"
    assert format_duration(-3) == "0:00:00"
    assert format_duration(14400) == "4:00:00"
    assert (format_points(71.0), format_points(71.5), format_points(71.25)) == (
        "71",
        "71.5",
        "71.25",
    )
    assert format_points(70.004) == "70"
    assert not math.isnan(Score.from_dict(score(BLUEPRINTS["cpc"], []).to_dict()).fraction)
