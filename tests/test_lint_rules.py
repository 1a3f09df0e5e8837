"""`banks check`'s cross-bank rules: the longest-answer cue and near-duplicate stems."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from certprep.banks.lint import check_paths, lint_paths
from certprep.cli import app

runner = CliRunner()

# twelve different billing facts, each with a key and three wrong answers
FACTS = [
    (
        "the timely filing limit for Medicare Part B claims",
        "One calendar year from the date of service",
    ),
    ("the form a physician office uses for paper claims", "The CMS-1500 claim form, version 02/12"),
    ("the form a hospital uses for institutional claims", "The UB-04, also called the CMS-1450"),
    (
        "the remittance that explains a Medicare payment",
        "The Medicare Summary Notice for the patient",
    ),
    (
        "who assigns the National Provider Identifier",
        "The National Plan and Provider Enumeration System",
    ),
    ("which program is the payer of last resort", "Medicaid, after every other source of coverage"),
    (
        "what a contractual adjustment writes off",
        "The difference between the charge and the allowed amount",
    ),
    (
        "what the limiting charge caps for Medicare",
        "A nonparticipating physician's charge to the patient",
    ),
    (
        "what the birthday rule decides for children",
        "Which parent's plan is primary for a dependent child",
    ),
    (
        "what an ABN tells a Medicare patient",
        "That Medicare may deny the item so the patient may pay",
    ),
    (
        "what a clean claim is for a payer",
        "A claim with no defect that needs no further information",
    ),
    (
        "what a credit balance on a ledger means",
        "The account has been paid more than the amount owed",
    ),
]
SHORT = ["A nurse practitioner", "The payer itself", "A paper form"]


def _item(n: int, fact: tuple[str, str], key_longest: bool) -> dict:
    topic, key = fact
    wrong = (
        SHORT
        if key_longest
        else [
            key[::-1].capitalize() + " for all plans",  # as long as the key: no cue
            "A plan's own rule",
            "No rule at all",
        ]
    )
    choices = [{"key": "a", "text": key, "correct": True, "rationale": "Right."}]
    choices += [
        {"key": k, "text": t, "rationale": "Wrong."} for k, t in zip("bcd", wrong, strict=True)
    ]
    return {
        "id": f"t-{n:03d}",
        "section": "claims_billing",
        "stem": f"In billing, what is {topic} (case {n})?",
        "choices": choices,
        "rationale": "Because.",
        "references": ["A source"],
    }


def _bank(path: Path, name: str, items: list[dict]) -> Path:
    path.write_text(
        yaml.safe_dump(
            {"format": "certprep-bank/1", "name": name, "exams": ["cpb"], "items": items},
            sort_keys=False,
        )
    )
    return path


def test_an_exam_whose_keys_are_the_longest_choice_fails_the_check(tmp_path) -> None:
    bank = _bank(tmp_path / "cued.yaml", "cued", [_item(i, f, True) for i, f in enumerate(FACTS)])
    result = runner.invoke(app, ["banks", "check", str(bank)])
    assert result.exit_code == 2
    assert "longest choice in 12 of 12" in result.output
    assert "exam cpb" in result.output and "at most 30%" in result.output


def test_the_longest_answer_rate_is_reported_per_bank_and_exam(tmp_path) -> None:
    cued = [_item(i, f, i < 3) for i, f in enumerate(FACTS)]  # 3 of 12 = 25%: passes
    result = check_paths([_bank(tmp_path / "ok.yaml", "fair", cued)])
    assert result.problems == []
    assert "longest answer, bank fair: key is the longest choice in 3 of 12" in "\n".join(
        result.notes
    )
    assert any(n.startswith("longest answer, exam cpb") and "(25%)" in n for n in result.notes)


def test_code_choices_are_not_counted(tmp_path) -> None:
    items = []
    for i in range(12):
        items.append(
            {
                "id": f"c-{i:03d}",
                "section": "coding",
                "stem": f"Which code is reported for visit number {i}?",
                "choices": [
                    {"key": "a", "text": "99213-25", "correct": True},
                    {"key": "b", "text": "99213"},
                    {"key": "c", "text": "99212"},
                ],
                "rationale": "Because.",
                "references": ["CPT"],
            }
        )
    result = check_paths([_bank(tmp_path / "codes.yaml", "codes", items)])
    assert not any("longest choice" in str(p) for p in result.problems)


def _pair(stem_b: str, key_b: str) -> tuple[dict, dict]:
    first = {
        "id": "dup-a",
        "section": "coding",
        "stem": (
            "A 72-year-old Medicare beneficiary gets her seasonal influenza vaccine by "
            "intramuscular injection in her physician's office. Which code reports the "
            "administration to Medicare?"
        ),
        "choices": [
            {"key": "a", "text": "G0008", "correct": True},
            {"key": "b", "text": "90471"},
            {"key": "c", "text": "G0009"},
        ],
        "rationale": "Because.",
        "references": ["HCPCS"],
    }
    second = {
        "id": "dup-b",
        "section": "coding",
        "stem": stem_b,
        "choices": [
            {"key": "a", "text": key_b, "correct": True},
            {"key": "b", "text": "90471"},
            {"key": "c", "text": "G0010"},
        ],
        "rationale": "Because.",
        "references": ["HCPCS"],
    }
    return first, second


def test_a_near_duplicate_across_banks_is_reported_with_both_ids(tmp_path) -> None:
    a, b = _pair(
        "A Medicare patient aged 80 receives an influenza vaccine by intramuscular injection "
        "in her physician's office. Which code reports the administration?",
        "G0008",
    )
    one = _bank(tmp_path / "one.yaml", "one", [a])
    two = _bank(tmp_path / "two.yaml", "two", [b])
    result = runner.invoke(app, ["banks", "check", str(one), str(two)])
    assert result.exit_code == 2
    assert "(dup-b): near-duplicate of dup-a" in result.output


def test_the_same_scenario_asking_for_a_different_answer_is_not_a_duplicate(tmp_path) -> None:
    a, b = _pair(
        "A 70-year-old Medicare beneficiary has her first pneumococcal vaccine by "
        "intramuscular injection at her physician's office. Which HCPCS code reports giving it?",
        "G0009",
    )
    one = _bank(tmp_path / "one.yaml", "one", [a])
    two = _bank(tmp_path / "two.yaml", "two", [b])
    assert lint_paths([one, two]) == []


def test_banks_for_different_exams_may_share_a_stem(tmp_path) -> None:
    a, b = _pair(
        "A Medicare patient aged 80 receives an influenza vaccine by intramuscular injection "
        "in her physician's office. Which code reports the administration?",
        "G0008",
    )
    one = _bank(tmp_path / "one.yaml", "one", [a])
    data = yaml.safe_load(_bank(tmp_path / "two.yaml", "two", [b]).read_text())
    data["exams"] = ["ccs"]
    (tmp_path / "two.yaml").write_text(yaml.safe_dump(data))
    problems = lint_paths([one, tmp_path / "two.yaml"])
    assert not [p for p in problems if "near-duplicate" in p.message]


def test_the_same_question_keyed_differently_in_two_banks_is_reported(tmp_path) -> None:
    a, b = _pair(
        "A 72-year-old Medicare beneficiary gets her seasonal influenza vaccine by "
        "intramuscular injection in her physician's office. Which code reports the "
        "administration to Medicare?",
        "G0009",
    )
    one = _bank(tmp_path / "one.yaml", "one", [a])
    two = _bank(tmp_path / "two.yaml", "two", [b])
    problems = [p for p in lint_paths([one, two]) if "near-duplicate" in p.message]
    assert [p.record for p in problems] == ["dup-b"]


def _burn_item(n: int, percent: str, code: str) -> dict:
    return {
        "id": f"burn-{n}",
        "section": "coding",
        "stem": (
            f"An adult has burns of {percent} of the body surface, with third-degree burns of "
            "less than 10%. Which ICD-10-CM code reports the extent of the burns?"
        ),
        "choices": [
            {"key": "a", "text": code, "correct": True},
            {"key": "b", "text": "T31.0"},
            {"key": "c", "text": "T31.40"},
        ],
        "rationale": "Category T31 by total and third-degree extent.",
        "references": ["ICD-10-CM Official Guidelines I.C.19.d.7"],
    }


def test_items_that_differ_in_a_figure_that_changes_the_key_are_not_duplicates(
    tmp_path,
) -> None:
    one = _bank(tmp_path / "one.yaml", "one", [_burn_item(1, "20-29%", "T31.20")])
    two = _bank(tmp_path / "two.yaml", "two", [_burn_item(2, "30-39%", "T31.30")])
    assert not [p for p in lint_paths([one, two]) if "near-duplicate" in p.message]


def test_generated_code_set_drills_are_left_out_of_the_duplicate_rule(tmp_path) -> None:
    a, b = _pair(
        "A Medicare patient aged 80 receives an influenza vaccine by intramuscular injection "
        "in her physician's office. Which code reports the administration?",
        "G0008",
    )
    one = _bank(tmp_path / "one.yaml", "codeset-icd10cm", [a])
    two = _bank(tmp_path / "two.yaml", "codeset-icd10cm-ccs", [b])
    assert not [p for p in lint_paths([one, two]) if "near-duplicate" in p.message]
