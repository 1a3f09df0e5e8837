"""GIFT, Moodle XML and Aiken in the forms Moodle's documentation shows them."""

from __future__ import annotations

import pytest

from certprep.banks.formats import ReadResult, read_bank
from certprep.core.models import Item, ItemKind
from certprep.core.problems import InputError

from .conftest import DATA

DOCS = DATA / "formats" / "moodle_docs"


def read(name: str) -> ReadResult:
    return read_bank(DOCS / name, exam="cpc", section="terminology")


def by_id(res: ReadResult) -> dict[str, Item]:
    return {i.id: i for i in res.bank.items}


def test_gift_forms() -> None:
    res = read("forms.gift")
    items = by_id(res)
    assert items["Q1"].kind is ItemKind.TRUE_FALSE and items["Q1"].correct_keys == ["a"]
    q2 = items["Q2"]
    assert q2.correct_keys == ["a"] and q2.choices[1].rationale == "wrong, that is an incision"
    q3 = items["Q3"]
    assert q3.kind is ItemKind.CODE and q3.codes == ["I10"]
    assert q3.stem == "The ICD-10-CM code for essential hypertension is _____ ."
    assert items["Q1"].topics == ["CPC practice"]


def test_gift_partial_credit_keeps_a_single_answer_question_single() -> None:
    res = read("forms.gift")
    q4 = by_id(res)["Q4"]
    assert q4.kind is ItemKind.SINGLE and q4.correct_keys == ["c"]
    assert [c.text for c in q4.choices] == ["N18.9", "E11.9", "E11.22"]
    assert any("1 single-answer questions give partial credit" in w.message for w in res.warnings)
    q5 = by_id(res)["Q5"]  # no '=' answer: the positive weights are the right answers
    assert q5.kind is ItemKind.MULTIPLE and q5.correct_keys == ["b", "c"]


def test_gift_format_markers_are_applied_not_left_in_the_text() -> None:
    items = by_id(read("forms.gift"))
    assert items["Q6"].stem == "Which code reports essential (primary) hypertension?"
    assert items["Q7"].stem == "Which code reports type 2 diabetes mellitus without complications?"
    assert items["Q8"].stem == "In plain text, <b> & &amp; stay as written."
    assert items["Q9"].stem == "Which prefix means below?\nPick one."
    assert not any("[" in i.stem for i in items.values())


def test_gift_unsupported_kinds_are_named() -> None:
    res = read("forms.gift")
    assert any(
        w.message == "3 questions skipped: 1 matching, 1 numeric, 1 essay: not supported: "
        "'Q10' (line 40): matching; 'Q11' (line 42): numeric; 'Q12' (line 44): essay"
        for w in res.warnings
    )


def test_aiken_forms_including_a_letter_without_a_space() -> None:
    items = read("forms.aiken.txt").bank.items
    assert [len(i.choices) for i in items] == [4, 3, 3]
    assert [c.text for c in items[2].choices] == ["peri-", "endo-", "epi-"]
    assert all(i.correct_keys == ["a"] for i in items)


def test_moodle_xml_forms() -> None:
    res = read("forms.xml")
    items = res.bank.items
    assert [i.kind for i in items] == [ItemKind.SINGLE, ItemKind.TRUE_FALSE, ItemKind.CODE]
    htn, tf, code = items
    assert htn.stem == "Which code reports essential hypertension?\n\n[image: bp-cuff.png]"
    assert (
        htn.topics == ["Cardiology"] and htn.rationale == "I10 is essential (primary) hypertension."
    )
    assert tf.stem == "Category I10 takes no further characters.\nIt is a complete code."
    assert code.stem == "Type the code for type 2 diabetes without complications."
    messages = [w.message for w in res.warnings]
    assert "1 questions embed 1 files (images and the like); they are not imported" in " ".join(
        messages
    )
    # one question of seven choices is skipped, not a refusal of the whole file
    assert (
        "3 questions skipped: 1 multichoice with more than 6 answers, 1 essay, 1 cloze: "
        "not supported: question 5 'Seven choices': 7 answers; question 6 'Essay': essay; "
        "question 7 'Cloze': cloze"
    ) in messages


def test_moodle_file_of_only_unsupported_types_says_which() -> None:
    with pytest.raises(InputError) as info:
        read("unsupported.xml")
    assert str(info.value).endswith(
        "no question the app can ask: 3 cloze, 2 essay: not supported: question 1 'c1': cloze; "
        "question 2 'c2': cloze; question 3 'c3': cloze; question 4 'e1': essay; "
        "question 5 'e2': essay"
    )


HTML = "<p>Type&nbsp;2 diabetes &amp; <b>E11.9</b>&#8230;</p><p>Next&lt;line&gt;</p>"
TEXT = "Type 2 diabetes & E11.9…\n\nNext<line>"


def test_html_and_entities_become_the_same_text_in_every_format(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from xml.sax.saxutils import escape

    from certprep.banks.formats import read_bank_bytes

    from .anki_decks import build_basic_deck

    gift = f"::h::[html]{HTML}{{=yes ~no}}\n".encode()
    xml = (
        '<?xml version="1.0"?><quiz><question type="multichoice"><name><text>h</text></name>'
        f'<questiontext format="html"><text>{escape(HTML)}</text></questiontext>'
        '<answer fraction="100"><text>yes</text></answer><answer fraction="0"><text>no</text>'
        "</answer></question></quiz>"
    ).encode()
    anki = build_basic_deck([(HTML, "yes")])
    stems = [
        read_bank_bytes(data, name).bank.items[0].stem
        for data, name in ((gift, "q.gift"), (xml, "q.xml"), (anki, "q.apkg"))
    ]
    assert stems == [TEXT, TEXT, TEXT]
