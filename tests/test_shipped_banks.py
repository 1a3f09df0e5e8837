"""The shipped banks: every blueprint section has four times its count, four full forms share no
item, and the CPC procedure sections rest on full notes as the real exam does."""

from __future__ import annotations

import pytest

from certprep.banks.lint import bundled_banks_dir
from certprep.services import open_services
from certprep.services.exams import ExamService


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    services = open_services(
        str(tmp_path_factory.mktemp("shipped") / "s.db"), banks_dir=bundled_banks_dir()
    )
    services.load_bundled_banks()
    return services


FORMS = 4  # AAPC sells three practice exams per credential: we carry four


@pytest.mark.parametrize("exam", ["cpc", "cpb", "ccs"])
def test_every_section_has_four_times_its_exam_count(shipped, exam) -> None:
    bp = shipped.blueprint(exam)
    have = shipped.stats()["by_exam"][exam]["sections"]
    short = {
        s.key: (have.get(s.key, 0), FORMS * s.questions)
        for s in bp.sections
        if have.get(s.key, 0) < FORMS * s.questions
    }
    assert short == {}


@pytest.mark.parametrize("exam", ["cpc", "cpb", "ccs"])
def test_four_full_forms_share_no_item(tmp_path, exam) -> None:
    """A learner sits four full mocks of one exam, each drawn from questions not yet shown:
    every form is complete, section by section, and no question comes back."""
    from tests.conftest import FakeClock
    from tests.shipped import shipped_services, shipped_template

    services = shipped_services(
        shipped_template(tmp_path.parent), tmp_path / "four.db", FakeClock()
    )
    exams = ExamService(services)
    bp = services.blueprint(exam)
    want = {s.key: s.questions for s in bp.sections}
    forms: list[set[str]] = []
    for n in range(FORMS):
        attempt = exams.start(exam, seed=100 + n, unseen_only=True)
        questions = exams.load(attempt).questions
        by_section: dict[str, int] = {}
        for q in questions:
            by_section[q.section] = by_section.get(q.section, 0) + 1
        assert by_section == want, f"form {n + 1}"
        forms.append({q.item.id for q in questions})
    for i in range(FORMS):
        for j in range(i + 1, FORMS):
            assert forms[i].isdisjoint(forms[j]), (i + 1, j + 1)


NOTE_SECTIONS = (
    *(f"surgery_{n}0000" for n in range(1, 7)),
    "em",
    "radiology",
    "medicine",
)


def _words(text: str) -> int:
    return len(text.split())


def test_a_third_of_the_cpc_procedure_items_rest_on_a_full_note() -> None:
    """The real CPC is built on operative and visit notes: at least a third of the surgery,
    E/M, radiology and medicine items are read from a note of 150 words or more (the case
    text the question refers to, or a stem that long)."""
    from certprep.banks.lint import load_blueprints
    from certprep.banks.native import load_bank

    per_form = sum(s.questions for s in load_blueprints()["cpc"].sections if s.key in NOTE_SECTIONS)
    on_note = total = 0
    for path in (bundled_banks_dir() / "cpc").glob("*.yaml"):
        bank = load_bank(path)
        cases = {c.id: c.text for c in bank.cases}
        for item in bank.items:
            if item.section not in NOTE_SECTIONS:
                continue
            total += 1
            document = cases.get(item.case, "") if item.case else item.stem
            on_note += _words(document) >= 150
    assert total >= FORMS * per_form
    assert on_note * 3 >= total, f"{on_note} of {total} items rest on a full note"


@pytest.mark.parametrize("exam", ["cpc", "cpb", "ccs"])
def test_two_seeded_forms_share_no_item(shipped, exam) -> None:
    exams = ExamService(shipped)
    attempt = exams.start(exam, seed=11)
    first = {q.item.id for q in exams.load(attempt).questions}
    second = {q.item_id for q in exams.draw(exam, seed=12, unseen_only=True).questions}
    bp = shipped.blueprint(exam)
    assert len(first) == len(second) == bp.questions
    assert first.isdisjoint(second)


@pytest.mark.parametrize("exam", ["cpc", "cpb", "ccs"])
def test_the_length_of_a_choice_says_nothing_about_the_key(exam) -> None:
    """Across each exam the key is the strictly longest choice, and the strictly shortest, about
    as often as chance makes it (15-30%): neither "pick the longest" nor "never pick it" pays."""
    from certprep.banks.lint_cues import (
        LONGEST_ANSWER_FLOOR,
        LONGEST_ANSWER_LIMIT,
        LONGEST_ANSWER_MIN_ITEMS,
        longest_answer_report,
    )
    from certprep.banks.native import load_bank

    files = [p for p in bundled_banks_dir().rglob("*.yaml") if "blueprints" not in p.parts]
    tally = longest_answer_report(load_bank(p) for p in files).by_exam[exam]
    assert tally.counted >= LONGEST_ANSWER_MIN_ITEMS
    assert LONGEST_ANSWER_FLOOR <= tally.rate <= LONGEST_ANSWER_LIMIT
    assert LONGEST_ANSWER_FLOOR <= tally.short_rate <= LONGEST_ANSWER_LIMIT


def _cases(exam: str) -> list[tuple[object, list[object]]]:
    """Every case of an exam's shipped banks with its questions."""
    from certprep.banks.native import load_bank

    out = []
    for path in (bundled_banks_dir() / exam).glob("*.yaml"):
        bank = load_bank(path)
        for case in bank.cases:
            out.append((case, [i for i in bank.items if i.case == case.id]))
    return out


def test_cpb_has_25_cases_built_on_a_remittance_ledger_or_claim() -> None:
    """The real CPB rests on documents: an EOB/remittance with its adjustment codes, a patient
    ledger, or a claim-form excerpt, each read for several questions."""
    import re

    document = re.compile(
        r"\b(CARC|RARC|CO-\d|PR-\d|OA-\d|remittance|EOB|835|ledger|CMS-1500|UB-04|FL \d|item \d+)",
        re.I,
    )
    amounts = re.compile(r"\$?\d+\.\d\d\b")
    built = [
        case.id  # type: ignore[attr-defined]
        for case, items in _cases("cpb")
        if len(items) >= 2
        and document.search(case.text)  # type: ignore[attr-defined]
        and len(amounts.findall(case.text)) >= 3  # type: ignore[attr-defined]
    ]
    assert len(built) >= 25, built


def test_ccs_has_20_full_inpatient_records_coded_with_partial_credit() -> None:
    """A full record (300+ words) with code entry for the diagnoses and procedures, a POA
    question and the MS-DRG; multi-code answers earn partial credit."""
    from certprep.core.models import ItemKind

    records = []
    for case, items in _cases("ccs"):
        text = case.text  # type: ignore[attr-defined]
        if len(text.split()) < 300:
            continue
        kinds = {i.kind for i in items}  # type: ignore[attr-defined]
        stems = " ".join(i.stem for i in items).lower()  # type: ignore[attr-defined]
        if (
            ItemKind.CODE in kinds
            and "ms-drg" in stems
            and ("poa" in stems or "present on admission" in stems)
            and any(i.partial_credit for i in items)  # type: ignore[attr-defined]
        ):
            records.append(case.id)  # type: ignore[attr-defined]
    assert len(records) >= 20, records
