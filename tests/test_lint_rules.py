"""`banks check`'s cross-bank rules: the longest-answer cue and near-duplicate stems."""

from __future__ import annotations

from pathlib import Path

import pytest
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
LONG = [
    "A rule that each commercial and government plan sets for itself in its own contract",
    "Whatever the practice's billing manager decides after reviewing the account history",
    "The amount the state insurance commissioner publishes for the year in its bulletin",
]


def _item(n: int, fact: tuple[str, str], shape: str | bool) -> dict:
    """An item whose key is the strictly 'longest', the strictly 'shortest', or in the 'middle'.

    (True/False stand for 'longest'/'middle', as the first tests were written.)
    """
    shape = {True: "longest", False: "middle"}.get(shape, shape)  # type: ignore[arg-type]
    topic, key = fact
    wrong = {
        "longest": SHORT,
        "shortest": LONG,
        # one distractor longer than the key and one shorter: no length cue either way
        "middle": [key[::-1].capitalize() + " for all plans", "A plan's own rule", "No rule"],
    }[shape]
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


def _shapes(longest: int, shortest: int) -> list[dict]:
    """Twelve items: the first `longest` keyed longest, the next `shortest` keyed shortest."""
    shapes = ["longest"] * longest + ["shortest"] * shortest
    shapes += ["middle"] * (len(FACTS) - len(shapes))
    return [_item(i, f, s) for i, (f, s) in enumerate(zip(FACTS, shapes, strict=True))]


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


def test_the_longest_and_shortest_rates_are_reported_per_bank_and_exam(tmp_path) -> None:
    fair = _shapes(longest=3, shortest=2)  # 25% and 17%: both inside the 15-30% band
    result = check_paths([_bank(tmp_path / "ok.yaml", "fair", fair)])
    assert result.problems == []
    notes = "\n".join(result.notes)
    assert "longest answer, bank fair: key is the longest choice in 3 of 12" in notes
    assert any(
        n.startswith("longest answer, exam cpb") and "(25%)" in n and "shortest in 2 (17%)" in n
        for n in result.notes
    )


def test_an_exam_whose_key_is_never_the_longest_choice_fails_the_check(tmp_path) -> None:
    # the over-correction: "never pick the longest" is as good a cue as "pick the longest"
    bank = _bank(tmp_path / "never.yaml", "never", _shapes(longest=1, shortest=3))
    result = runner.invoke(app, ["banks", "check", str(bank)])
    assert result.exit_code == 2
    assert "strictly longest choice in 1 of 12 items (8%)" in result.output
    assert "at least 15% is required" in result.output
    problems = check_paths([bank]).problems
    assert [p.message.split(":")[0] for p in problems] == ["exam cpb"]  # only the longest rate


def test_an_exam_whose_key_is_too_often_the_shortest_choice_fails_the_check(tmp_path) -> None:
    bank = _bank(tmp_path / "short.yaml", "short", _shapes(longest=3, shortest=5))
    result = runner.invoke(app, ["banks", "check", str(bank)])
    assert result.exit_code == 2
    assert "strictly shortest choice in 5 of 12 items (42%)" in result.output
    assert "at most 30%" in result.output


def test_an_exam_whose_key_is_never_the_shortest_choice_fails_the_check(tmp_path) -> None:
    result = check_paths([_bank(tmp_path / "n.yaml", "n", _shapes(longest=3, shortest=0))])
    messages = [p.message for p in result.problems]
    assert len(messages) == 1
    assert "strictly shortest choice in 0 of 12" in messages[0]
    assert "'never pick the shortest'" in messages[0]


def test_the_band_is_not_judged_on_a_handful_of_items(tmp_path) -> None:
    few = _shapes(longest=0, shortest=0)[:5]
    assert check_paths([_bank(tmp_path / "few.yaml", "few", few)]).problems == []


def _choices_item(n: int, texts: list[str], key: int) -> dict:
    return {
        "id": f"w-{n:03d}",
        "section": "claims_billing",
        "stem": f"Which statement about billing rule number {n} is correct?",
        "choices": [
            {"key": k, "text": t, **({"correct": True} if i == key else {})}
            for i, (k, t) in enumerate(zip("abcd", texts, strict=False))
        ],
        "rationale": "Because.",
        "references": ["A source"],
    }


def test_none_of_the_above_only_as_a_wrong_answer_fails_the_check(tmp_path) -> None:
    texts = ["The payer decides it", "The patient decides it", "None of the above"]
    items = [_choices_item(i, [f"{t} ({i})" for t in texts], 0) for i in range(3)]
    bank = _bank(tmp_path / "nota.yaml", "nota", items)
    result = runner.invoke(app, ["banks", "check", str(bank)])
    assert result.exit_code == 2
    assert "'all/none of the above' is a choice in 3 items and never the key" in result.output
    # keyed once where it is true, it stops being a cue
    items.append(_choices_item(3, [*texts[:2], "None of the above"], 2))
    result = check_paths([_bank(tmp_path / "nota.yaml", "nota", items)])
    assert not [p for p in result.problems if "of the above" in p.message]
    assert any("keyed in 1 items, only in distractors in 3" in n for n in result.notes)


def test_absolute_words_only_in_distractors_are_counted_per_exam(tmp_path) -> None:
    items = [
        _choices_item(0, ["Payers always pay first", "The primary plan pays first"], 1),
        _choices_item(1, ["The patient never pays", "The patient pays the copay"], 1),
        _choices_item(2, ["It is never reported alone", "It is reported alone"], 0),
        _choices_item(3, ["It is reported once", "It is reported twice"], 0),
    ]
    result = check_paths([_bank(tmp_path / "abs.yaml", "abs", items)])
    assert any(
        n.startswith("wording cues, exam cpb")
        and "always/never in the key in 1 items, only in distractors in 2" in n
        for n in result.notes
    )


@pytest.mark.parametrize(
    "texts",
    [
        ["99213-25", "99213", "99212"],
        ["0DTN4ZZ", "0DTN0ZZ", "0DBN4ZZ"],  # PCS codes: letters, but not words
        [
            "29827-RT, 29826-51-RT, M75.121",
            "29827-RT, 29826-RT, M75.121",
            "23412-RT, 23130-RT, M75.101",
        ],
    ],
)
def test_code_choices_are_not_counted(tmp_path, texts) -> None:
    items = []
    for i in range(12):
        items.append(
            {
                "id": f"c-{i:03d}",
                "section": "coding",
                "stem": f"Which code is reported for visit number {i}?",
                "choices": [
                    {"key": k, "text": t, **({"correct": True} if k == "a" else {})}
                    for k, t in zip("abc", texts, strict=True)
                ],
                "rationale": "Because.",
                "references": ["CPT"],
            }
        )
    result = check_paths([_bank(tmp_path / "codes.yaml", "codes", items)])
    assert not any("choice in" in str(p) for p in result.problems)
    assert not [n for n in result.notes if n.startswith("longest answer")]  # none counted


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


def _code_items(choice_sets: list[list[str]], n: int = 12) -> list[dict]:
    """``n`` code-list items, each keyed on the first of ``choice_sets`` (order shuffled by i)."""
    items = []
    for i in range(n):
        texts = [t.replace("N", str(i % 10)) for t in choice_sets]
        order = texts[i % len(texts) :] + texts[: i % len(texts)]
        items.append(
            {
                "id": f"cv-{i:03d}",
                "section": "coding",
                "stem": f"Which codes are reported for procedure number {i}?",
                "choices": [
                    {"key": k, "text": t, **({"correct": True} if t == texts[0] else {})}
                    for k, t in zip("abcd", order, strict=True)
                ],
                "rationale": "Because.",
                "references": ["CPT"],
            }
        )
    return items


def test_a_key_the_distractors_are_built_from_is_reported(tmp_path) -> None:
    """Each distractor is the key with one code changed: the key shares the most codes with the
    others, so 'pick the hub' finds it without any coding knowledge."""
    built_from_key = [
        "1160N, 1203N-51, C44.51N",
        "1160N, 1203N-51, C44.41N",
        "1160N, 1204N-51, C44.51N",
        "1162N, 1203N-51, C44.51N",
    ]
    result = check_paths([_bank(tmp_path / "hub.yaml", "hub", _code_items(built_from_key))])
    problems = [str(p) for p in result.problems]
    assert any("'pick the choice the others are built from' pays" in p for p in problems)
    assert any("a hub in 12, the key in 12 of them (100%)" in n for n in result.notes)


def test_an_odd_one_out_that_is_never_the_key_is_reported(tmp_path) -> None:
    stray_never_key = [
        "9921N-25, 2061N",
        "9921N, 2061N",
        "9921N-25, 2060N",
        "9938N, 9060N",
    ]
    result = check_paths([_bank(tmp_path / "stray.yaml", "stray", _code_items(stray_never_key))])
    assert any("'strike the odd one out' is safe" in str(p) for p in result.problems)


def test_a_balanced_design_gives_nothing_away(tmp_path) -> None:
    """Two codes crossed with two modifiers: every choice shares as much with the others."""
    crossed = ["2760N-RT", "2760N-LT", "2761N-RT", "2761N-LT"]
    result = check_paths([_bank(tmp_path / "even.yaml", "even", _code_items(crossed))])
    assert not [p for p in result.problems if "code-list items" in str(p)]
    assert any("a hub in 0" in n and "a stray in 0" in n for n in result.notes)


def test_a_hub_that_is_never_the_key_is_reported_too(tmp_path) -> None:
    """Over-corrected, the cue turns round: the choice the others share most with is never
    right, so a candidate strikes it unread."""
    hub_never_key = [
        "1160N, 1203N-51",  # the key: shares with one distractor only
        "1160N, 1204N-51",  # the hub: every other choice shares a code with it
        "1162N, 1204N-51",
        "1163N, 1204N-51",
    ]
    result = check_paths([_bank(tmp_path / "rev.yaml", "rev", _code_items(hub_never_key))])
    assert any(
        "'strike the choice the others are built from' is safe" in str(p) for p in result.problems
    )


def test_amounts_are_not_code_lists(tmp_path) -> None:
    amounts = ["$2,40N.00", "$2,41N.00", "$1,40N.00", "$2,10N.00"]
    result = check_paths([_bank(tmp_path / "amt.yaml", "amt", _code_items(amounts))])
    assert not any("code-list" in n and "12 code-list items" in n for n in result.notes)
    assert not [p for p in result.problems if "code-list items" in str(p)]
