"""The shipped banks: every blueprint section has twice its count, and two full forms share no item."""

from __future__ import annotations

import pytest

from certprep.banks.lint import bundled_banks_dir
from certprep.services import open_services
from certprep.services.exams import ExamService


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    services = open_services(
        str(tmp_path_factory.mktemp("shipped") / "s.db"), banks_dir=bundled_banks_dir()
    )
    services.load_bundled_banks()
    return services


@pytest.mark.parametrize("exam", ["cpc", "cpb", "ccs"])
def test_every_section_has_twice_its_exam_count(shipped, exam) -> None:
    bp = shipped.blueprint(exam)
    have = shipped.stats()["by_exam"][exam]["sections"]
    short = {
        s.key: (have.get(s.key, 0), 2 * s.questions)
        for s in bp.sections
        if have.get(s.key, 0) < 2 * s.questions
    }
    assert short == {}


@pytest.mark.parametrize("exam", ["cpc", "cpb", "ccs"])
def test_two_full_forms_share_no_item(shipped, exam) -> None:
    exams = ExamService(shipped)
    attempt = exams.start(exam, seed=11)
    first = {q.item.id for q in exams.load(attempt).questions}
    second = {q.item_id for q in exams.draw(exam, seed=12, unseen_only=True).questions}
    bp = shipped.blueprint(exam)
    assert len(first) == len(second) == bp.questions
    assert first.isdisjoint(second)


@pytest.mark.parametrize("exam", ["cpc", "cpb", "ccs"])
def test_the_length_of_a_choice_says_nothing_about_the_key(exam) -> None:
    """Across each exam the key is the strictly longest choice, and the strictly shortest, about
    as often as chance makes it (15-30%): neither "pick the longest" nor "never pick it" pays."""
    from certprep.banks.lint_cues import (
        LONGEST_ANSWER_FLOOR,
        LONGEST_ANSWER_LIMIT,
        LONGEST_ANSWER_MIN_ITEMS,
        longest_answer_report,
    )
    from certprep.banks.native import load_bank

    files = [p for p in bundled_banks_dir().rglob("*.yaml") if "blueprints" not in p.parts]
    tally = longest_answer_report(load_bank(p) for p in files).by_exam[exam]
    assert tally.counted >= LONGEST_ANSWER_MIN_ITEMS
    assert LONGEST_ANSWER_FLOOR <= tally.rate <= LONGEST_ANSWER_LIMIT
    assert LONGEST_ANSWER_FLOOR <= tally.short_rate <= LONGEST_ANSWER_LIMIT
