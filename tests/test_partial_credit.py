"""Partial credit for record coding (CCS-style): a code-entry item with several codes marked
``partial_credit`` earns each right code's share of the point in an exam, a wrong extra code
takes a share back, and the principal code counts only in first place when sequencing matters."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from certprep.banks.importer import import_bank
from certprep.core.grading import credit
from certprep.core.models import Bank, Blueprint, Item
from certprep.core.scoring import ScoredAnswer, score
from certprep.services.exams import ExamService
from certprep.services.services import Services
from certprep.tui.screens.exam_results import answer_text, summary_text

RECORD = {
    "id": "rec-1",
    "kind": "code",
    "section": "icd10cm",
    "stem": "Enter the diagnosis codes for this admission in sequence.",
    "codes": ["A41.51", "R65.20", "N39.0", "N17.9"],
    "ordered": True,
    "partial_credit": True,
    "rationale": "Sepsis first, then severe sepsis, the localized infection and the AKI.",
    "references": ["ICD-10-CM Official Guidelines FY2026 I.C.1.d.4"],
}


def _item(**change: object) -> Item:
    return Item.model_validate({**RECORD, **change})


@pytest.mark.parametrize(
    ("typed", "share"),
    [
        (["A41.51", "R65.20", "N39.0", "N17.9"], 1.0),
        (["A41.51", "R65.20", "N39.0"], 0.75),  # one code missed
        (["A41.51", "R65.20", "N39.0", "N17.9", "E87.1"], 0.75),  # one wrong extra code
        (["A41.51", "R65.21", "N39.0", "N17.9"], 0.5),  # one wrong instead of one right
        (["R65.20", "A41.51", "N39.0", "N17.9"], 0.75),  # the principal not first
        (["E87.1", "I10"], 0.0),  # nothing right: never below zero
        (["a4151", "r6520"], 0.5),  # typed without dots, lower case
    ],
)
def test_each_right_code_earns_its_share(typed: list[str], share: float) -> None:
    assert credit(_item(), typed) == pytest.approx(share)


def test_an_item_without_partial_credit_is_all_or_nothing() -> None:
    assert credit(_item(partial_credit=False), ["A41.51", "R65.20", "N39.0"]) == 0.0
    assert credit(_item(partial_credit=False), RECORD["codes"]) == 1.0  # type: ignore[arg-type]


def test_partial_credit_is_refused_where_it_cannot_apply() -> None:
    with pytest.raises(ValidationError, match="two or more codes"):
        _item(codes=["A41.51"])
    with pytest.raises(ValidationError, match="code-entry"):
        Item.model_validate(
            {
                **{k: v for k, v in RECORD.items() if k not in ("codes", "ordered")},
                "kind": "single",
                "choices": [
                    {"key": "a", "text": "A41.51", "correct": True},
                    {"key": "b", "text": "A41.9"},
                ],
            }
        )


def test_the_score_counts_shares_and_decides_the_pass_on_them() -> None:
    bp = Blueprint.model_validate(
        {
            "key": "ccs",
            "name": "Small CCS",
            "questions": 4,
            "time_limit_minutes": 10,
            "pass_mark": 0.7,
            "sections": [{"key": "icd10cm", "title": "ICD", "questions": 4}],
        }
    )
    answers = [ScoredAnswer("icd10cm", True)] * 2 + [
        ScoredAnswer("icd10cm", False, credit=0.75),
        ScoredAnswer("icd10cm", False, credit=0.5),
    ]
    result = score(bp, answers)
    assert result.right == 2  # fully right answers
    assert result.earned == pytest.approx(3.25)
    assert result.fraction == pytest.approx(0.8125)
    assert result.passed  # 2 of 4 would fail; the shares carry it over 70%
    assert result.sections[0].earned == pytest.approx(3.25)
    # stored and read back as the results screen and the report see it
    assert type(result).from_dict(result.to_dict()).earned == pytest.approx(3.25)


def test_a_partly_coded_record_scores_its_share_in_a_real_exam(services: Services) -> None:
    bank = Bank.model_validate({"name": "records", "exams": ["ccs"], "items": [RECORD]})
    import_bank(services.engine, bank, checksum="records")
    bp = Blueprint.model_validate(
        {
            "key": "ccs",
            "name": "One record",
            "questions": 1,
            "time_limit_minutes": 10,
            "pass_mark": 0.8,
            "item_kinds": ["code"],
            "sections": [{"key": "icd10cm", "title": "ICD", "questions": 1}],
        }
    )
    exams = ExamService(services)
    aid = exams.start(bp, seed=3)
    exams.answer(aid, 0, ["A41.51", "R65.20", "N39.0"])
    result = exams.submit(aid).score
    assert result.right == 0
    assert result.earned == pytest.approx(0.75)
    assert not result.passed
    view = exams.load(aid)
    summary = summary_text(view, result).plain
    assert "Score 0.75/1 (75%)" in summary
    shown = answer_text(view.questions[0], 0, 1).plain
    assert "partly right: 0.75 of the point" in shown


def test_tutor_feedback_says_partly_right_with_the_share() -> None:
    from certprep.tui.widgets.item_view import feedback_text

    shown = feedback_text(_item(), False, given=["A41.51", "R65.20", "N39.0"]).plain
    assert shown.startswith("Partly right: 0.75 of the point in an exam.")
    nothing = feedback_text(_item(), False, given=["E87.1"]).plain
    assert nothing.startswith("Not quite.")
