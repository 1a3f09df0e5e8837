"""Native → format → native for every writer: every field the format carries comes back, and
the writer's warnings name each one it could not carry. An export with nothing in it is refused.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certprep.banks.formats import read_bank_bytes, write_bank_with_warnings
from certprep.core.models import Bank, Item, ItemKind
from certprep.core.problems import InputError

from .test_formats_support import TEXT, banks

FAST = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EXT = {
    "native": "yaml",
    "json": "json",
    "csv": "csv",
    "tsv": "tsv",
    "gift": "gift",
    "moodle": "xml",
}
# what a warning says when a field did not come back
NAMED_BY = {"case": "case", "stem": "case"}  # a case's text goes in front of the stem
HEADER = ("title", "description", "license", "source", "version")


@st.composite
def full_banks(draw: st.DrawFn) -> Bank:
    """Banks using every item field: cases, alternatives, flags, numbers, a bank header."""
    bank = draw(banks())
    data = bank.model_dump(mode="json", exclude_none=True)
    items = data["items"]
    cases = []
    for n, item in enumerate(items):
        if draw(st.booleans()):
            item["difficulty"] = draw(st.integers(1, 5))
        if draw(st.booleans()):
            item["code_set_year"] = draw(st.integers(2015, 2100))
        if item["kind"] == "code":
            item["ordered"] = draw(st.booleans())
            if len(item["codes"]) > 1:
                item["partial_credit"] = draw(st.booleans())
        if item["kind"] in ("single", "multiple", "true_false"):
            item["pin_choices"] = draw(st.booleans())
        if draw(st.integers(0, 3)) == 0:
            case_id = f"case-{n % 2}"
            item["case"] = case_id
            if case_id not in {c["id"] for c in cases}:
                case = {"id": case_id, "text": draw(TEXT)}
                if draw(st.booleans()):
                    case["title"] = draw(TEXT.filter(lambda s: "\n" not in s))
                cases.append(case)
    data["cases"] = cases
    for name in ("title", "license"):
        if draw(st.booleans()):
            data[name] = draw(TEXT)
    return Bank.model_validate(data)


def _explained(field: str, warnings: str) -> bool:
    return NAMED_BY.get(field, field) in warnings


def round_trip(bank: Bank, fmt: str) -> None:
    try:
        data, warnings = write_bank_with_warnings(bank, fmt)
    except InputError as exc:
        assert fmt in ("gift", "moodle") and "nothing to export" in str(exc)
        assert all(i.kind is ItemKind.FLASHCARD for i in bank.items)
        return
    said = " ".join(w.message for w in warnings)
    as_fmt = "auto" if fmt in ("native", "json") else fmt  # the json writer writes native JSON
    back = read_bank_bytes(data, f"{bank.name}.{EXT[fmt]}", as_fmt, bank_name=bank.name).bank
    got = {i.id: i for i in back.items}
    for item in bank.items:
        if item.id not in got:
            assert item.kind is ItemKind.FLASHCARD and "flashcards were left out" in said
            continue
        a, b = item.model_dump(), got[item.id].model_dump()
        lost = [f for f in Item.model_fields if a[f] != b[f]]
        assert all(_explained(f, said) for f in lost), (fmt, lost, said)
    for name in HEADER:  # a reader may fill what the bank left empty (title: the file name)
        if getattr(bank, name) not in (None, "1") and getattr(bank, name) != getattr(back, name):
            assert name in said, (fmt, name, said)
    used = {i.case for i in back.items if i.case}
    kept = [c for c in bank.cases if c.id in used]
    if kept != back.cases:
        assert "case" in said


@pytest.mark.parametrize("fmt", list(EXT))
@FAST
@given(bank=full_banks())
def test_every_field_comes_back_or_is_named(fmt: str, bank: Bank) -> None:
    round_trip(bank, fmt)


def test_what_each_writer_names() -> None:
    bank = Bank.model_validate(
        {
            "name": "mixed",
            "title": "Study group deck",
            "exams": ["cpc"],
            "cases": [{"id": "c1", "title": "Office visit", "text": "A 58-year-old is seen."}],
            "items": [
                {
                    "id": "q1",
                    "section": "icd10cm",
                    "case": "c1",
                    "stem": "Which code reports essential hypertension?",
                    "choices": [
                        {"key": "a", "text": "I10", "correct": True, "rationale": "Right."},
                        {"key": "b", "text": "I11.9", "rationale": "Needs heart disease."},
                    ],
                    "rationale": "I10 is essential hypertension.",
                    "references": ["ICD-10-CM Tabular List, I10"],
                },
                {
                    "id": "f1",
                    "kind": "flashcard",
                    "section": "terminology",
                    "stem": "-itis",
                    "back": "inflammation",
                    "rationale": "A suffix.",
                    "references": ["Medical terminology"],
                },
            ],
        }
    )
    msgs = {
        fmt: " | ".join(w.message for w in write_bank_with_warnings(bank, fmt)[1])
        for fmt in ("csv", "gift", "moodle", "native")
    }
    assert msgs["native"] == ""
    assert msgs["csv"] == "not carried by csv: the bank's title (export to native to keep them)"
    for fmt in ("gift", "moodle"):
        assert f"1 flashcards were left out: {fmt} has no flashcard question type" in msgs[fmt]
        assert "1 questions belong to 1 case scenarios" in msgs[fmt]
    csv_back = read_bank_bytes(write_bank_with_warnings(bank, "csv")[0], "m.csv").bank
    assert csv_back.cases == bank.cases  # the CPB case-analysis bank keeps its cases in CSV
    assert csv_back.items[0].choices[1].rationale == "Needs heart disease."
    gift_back = read_bank_bytes(write_bank_with_warnings(bank, "gift")[0], "m.gift").bank
    assert gift_back.items[0].references == ["ICD-10-CM Tabular List, I10"]
    assert (gift_back.items[0].exams, gift_back.items[0].section) == (["cpc"], "icd10cm")
    xml_back = read_bank_bytes(write_bank_with_warnings(bank, "moodle")[0], "m.xml").bank
    assert xml_back.items[0].references == ["ICD-10-CM Tabular List, I10"]
    assert xml_back.items[0].rationale == "I10 is essential hypertension."


def test_an_export_that_would_be_empty_is_an_error() -> None:
    cards = Bank.model_validate(
        {
            "name": "anki-born",
            "exams": ["own"],
            "items": [
                {
                    "id": "f1",
                    "kind": "flashcard",
                    "section": "deck",
                    "stem": "-itis",
                    "back": "inflammation",
                    "rationale": "A suffix.",
                    "references": ["Medical terminology"],
                }
            ],
        }
    )
    for fmt in ("gift", "moodle"):
        with pytest.raises(InputError, match="nothing to export: all 1 items of bank 'anki-born'"):
            write_bank_with_warnings(cards, fmt)
    with pytest.raises(InputError, match="has no items to export"):
        write_bank_with_warnings(cards.model_copy(update={"items": []}), "csv")
