"""The code-set year the README states is the one the shipped banks and tables are written for."""

from __future__ import annotations

import re
from pathlib import Path

from certprep.banks.lint import bundled_banks_dir
from certprep.banks.native import load_bank
from certprep.core import codes

README = Path(__file__).resolve().parents[1] / "README.md"


def _stated_year() -> int:
    text = " ".join(README.read_text(encoding="utf-8").split())
    found = re.search(r"Code-set year: .*? FY(\d{4}) ICD-10-CM code set", text)
    assert found, "README has no 'Code-set year:' line naming the ICD-10-CM fiscal year"
    return int(found.group(1))


def test_readme_states_the_year_of_the_shipped_icd10cm_table() -> None:
    assert _stated_year() == codes.CM_YEAR


def test_every_shipped_bank_is_written_for_the_stated_year() -> None:
    year = _stated_year()
    files = [
        f
        for f in sorted(bundled_banks_dir().rglob("*.yaml"))
        if "blueprints" not in f.parts and f.name != "__init__.py"
    ]
    assert files
    wrong = {}
    for f in files:
        bank = load_bank(f)
        years = {bank.code_set_year} | {i.code_set_year for i in bank.items if i.code_set_year}
        if years != {year}:
            wrong[f.name] = sorted(y or 0 for y in years)
    assert wrong == {}
