"""Every CC/MCC claim of the MS-DRG items (question_banks/ccs/msdrg.yaml) re-derived from the
shipped MS-DRG v43 table (CMS Table 6K: level, PDX exclusion collection, discharged-alive list).

A claim names the item, the secondary diagnosis, the principal diagnosis and what the item says
the secondary is with that principal: "MCC", "CC", "excluded" (on the CC/MCC list but excluded
by the principal), "alive-only" (counts only if the patient leaves alive) or "none" (not on the
list). The test fails if the table says otherwise, or if the item no longer mentions the codes.
"""

from __future__ import annotations

import gzip
import importlib.resources
from functools import cache
from pathlib import Path

import pytest

from certprep.banks.native import load_bank

BANK = Path(__file__).resolve().parents[1] / "question_banks" / "ccs" / "msdrg.yaml"

CLAIMS = [
    # item, secondary, principal, status
    ("ccs-drg2-001", "J18.9", "A41.9", "MCC"),
    ("ccs-drg2-002", "A41.9", "J18.9", "MCC"),
    ("ccs-drg2-003", "J44.0", "J44.1", "excluded"),
    ("ccs-drg2-003", "E87.1", "J44.1", "CC"),
    ("ccs-drg2-003", "N17.9", "J44.1", "CC"),
    ("ccs-drg2-003", "D62", "J44.1", "CC"),
    ("ccs-drg2-004", "R47.01", "I63.9", "excluded"),
    ("ccs-drg2-004", "G81.91", "I63.9", "CC"),
    ("ccs-drg2-005", "N17.0", "I50.23", "MCC"),
    ("ccs-drg2-005", "N17.9", "I50.23", "CC"),
    ("ccs-drg2-005", "E87.1", "I50.23", "CC"),
    ("ccs-drg2-005", "E11.65", "I50.23", "none"),
    ("ccs-drg2-006", "I46.9", "I21.4", "alive-only"),
    ("ccs-drg2-008", "E87.1", "K52.9", "CC"),
    ("ccs-drg2-010", "K35.80", "J18.9", "CC"),
]


@cache
def table() -> tuple[dict[str, tuple[str, str]], dict[str, set[str]], set[str]]:
    levels: dict[str, tuple[str, str]] = {}
    collections: dict[str, set[str]] = {}
    alive: set[str] = set()
    ref = importlib.resources.files("certprep.codesets") / "msdrg_v43.tsv.gz"
    with ref.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
        assert "MS-DRG v43" in fh.readline()
        for line in fh:
            fields = line.rstrip("\n").split("\t")
            if fields[0] == "L":
                levels[fields[1]] = (fields[2], fields[3])
            elif fields[0] == "X":
                collections[fields[1]] = set(fields[2].split())
            elif fields[0] == "A":
                alive = set(fields[1].split())
    return levels, collections, alive


def status(secondary: str, principal: str) -> str:
    levels, collections, alive = table()
    code, pdx = secondary.replace(".", ""), principal.replace(".", "")
    if code not in levels:
        return "none"
    level, collection = levels[code]
    if collection and pdx in collections.get(collection, set()):
        return "excluded"
    if code in alive:
        return "alive-only"
    return level


@cache
def item_texts() -> dict[str, str]:
    bank = load_bank(BANK)
    out = {}
    for item in bank.items:
        parts = [item.stem, item.rationale] + [
            c.text + " " + (c.rationale or "") for c in item.choices
        ]
        out[item.id] = " ".join(parts)
    return out


@pytest.mark.parametrize(("item_id", "secondary", "principal", "claimed"), CLAIMS)
def test_cc_mcc_claim_matches_table_6k(
    item_id: str, secondary: str, principal: str, claimed: str
) -> None:
    text = item_texts()[item_id]
    assert secondary in text and principal in text, f"{item_id} no longer names both codes"
    assert status(secondary, principal) == claimed


def test_the_rules_the_claims_rest_on() -> None:
    # an excluded CC really is a CC elsewhere, and the alive-only MCC is an MCC
    assert status("J44.0", "J18.9") == "CC"
    assert table()[0]["I469"][0] == "MCC"
    assert status("E87.1", "E86.0") == "excluded"  # dehydration excludes hyponatremia
