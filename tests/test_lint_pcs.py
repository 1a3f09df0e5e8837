"""The linter checks ICD-10-PCS codes of every section (not only medical-surgical and
obstetrics) against the shipped FY2026 table, in stems, choices, rationales and code answers."""

from __future__ import annotations

import gzip
import importlib.resources
from typing import Any

import pytest

from certprep.banks.lint import lint_item
from certprep.core import codes
from certprep.core.models import Item


def _item(choice_codes: list[str], rationale: str = "Ventilation by duration.") -> Item:
    data: dict[str, Any] = {
        "id": "t-pcs-1",
        "kind": "single",
        "section": "coding_knowledge",
        "stem": "A patient is ventilated for five days. Which code reports it?",
        "choices": [
            {"key": k, "text": c, "correct": k == "a", "rationale": "Why."}
            for k, c in zip("abcd", choice_codes, strict=False)
        ],
        "rationale": rationale,
        "references": ["ICD-10-PCS Official Guidelines FY2026 B3.1b"],
    }
    return Item.model_validate(data)


def _pcs_problems(item: Item) -> list[str]:
    return [p for p in lint_item(item, {}) if "ICD-10-PCS" in p]


# one real code of each ancillary section, each looked up in the shipped table below
REAL = {
    "1": "10D00Z1",  # low cervical cesarean
    "2": "2W62X0Z",  # traction of neck, traction apparatus
    "3": "30233N1",  # transfusion of nonautologous red cells, peripheral vein
    "4": "4A023N7",  # cardiac sampling and pressure, left heart
    "5": "5A1955Z",  # ventilation, greater than 96 consecutive hours
    "6": "6A750Z4",  # ultrasound therapy, head and neck vessels
    "7": "7W00X0Z",  # osteopathic treatment of head
    "8": "8E0ZXY6",  # isolation
    "9": "9WB0XBZ",  # chiropractic manipulation of head
    "B": "BW03ZZZ",  # plain radiography of chest
    "C": "C020YZZ",  # tomographic nuclear medicine imaging of brain
    "D": "D7Y0FZZ",  # plaque radiation of bone marrow
    "F": "F07M6EZ",  # therapeutic exercise, whole body
    "G": "GZ3ZZZZ",  # medication management
    "H": "HZ2ZZZZ",  # detoxification services
    "X": "XW033H7",  # new technology
}


def test_the_table_holds_every_section_and_states_its_year() -> None:
    ref = importlib.resources.files("certprep.codesets") / "icd10pcs.tsv.gz"
    with ref.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
        header = fh.readline()
    assert "FY2026" in header and "all 17 sections" in header
    sections = {c[0] for c in codes.icd10pcs_table()}
    assert sections == set("0123456789BCDFGHX")
    assert len(codes.icd10pcs_table()) > 79_000  # the full list, not the 68,672 of sections 0-1


@pytest.mark.parametrize("section", sorted(REAL))
def test_a_real_code_of_each_section_passes(section: str) -> None:
    code = REAL[section]
    assert code[0] == section and codes.icd10pcs(code) is not None
    assert _pcs_problems(_item([code, "5A1935Z", "5A1945Z"])) == []


def test_a_made_up_ventilation_code_fails_in_a_choice() -> None:
    # 5A1955Z is real; no ventilation code has the qualifier Q
    problems = _pcs_problems(_item(["5A1955Q", "5A1935Z", "5A1945Z"]))
    assert len(problems) == 1
    assert "5A1955Q" in problems[0] and "FY2026" in problems[0]


def test_a_made_up_code_fails_in_a_rationale_and_in_a_code_answer() -> None:
    item = _item(["5A1955Z", "5A1935Z", "5A1945Z"], rationale="Not 30233N9, which is wrong.")
    assert any("30233N9" in p for p in _pcs_problems(item))
    answer = Item.model_validate(
        {
            "id": "t-pcs-2",
            "kind": "code",
            "section": "coding_knowledge",
            "stem": "Code the ECMO run.",
            "codes": ["5A1522Q"],
            "rationale": "Peripheral veno-venous ECMO.",
            "references": ["ICD-10-PCS Official Guidelines FY2026 B3.1b"],
        }
    )
    assert any("5A1522Q" in p for p in _pcs_problems(answer))
    answer.codes = ["5A1522H"]
    assert _pcs_problems(answer) == []


def test_the_table_is_fy2026_not_an_older_list() -> None:
    # new on 1 October 2025 (FY2026): in; New Technology group 6 codes deleted on 30 September
    # 2025: out (the FY2024 list in the drg package still has them)
    assert codes.icd10pcs("00H033J") is not None
    assert codes.icd10pcs("XW033C6") is None
