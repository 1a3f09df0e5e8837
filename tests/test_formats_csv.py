"""CSV and TSV files as spreadsheets, Quizlet and study groups write them."""

from __future__ import annotations

from pathlib import Path

import pytest

from certprep.banks.formats import ReadResult, read_bank
from certprep.core.models import ItemKind
from certprep.core.problems import InputError


def read_bytes(tmp_path: Path, name: str, data: bytes, **kw: object) -> ReadResult:
    f = tmp_path / name
    f.write_bytes(data)
    return read_bank(f, **kw)  # type: ignore[arg-type]


def refused(tmp_path: Path, name: str, data: bytes, **kw: object) -> str:
    with pytest.raises(InputError) as info:
        read_bytes(tmp_path, name, data, **kw)
    return str(info.value)


def test_quizlet_export_without_a_header_imports_as_flashcards(tmp_path: Path) -> None:
    # Quizlet's export: term<TAB>definition, one card per line, no header row
    data = b"-ectomy\tSurgical removal\n-itis\tInflammation\nbrady-\tSlow\n"
    res = read_bytes(tmp_path, "quizlet.txt", data)
    assert res.fmt == "tsv"
    assert [(i.kind, i.stem, i.back) for i in res.bank.items] == [
        (ItemKind.FLASHCARD, "-ectomy", "Surgical removal"),
        (ItemKind.FLASHCARD, "-itis", "Inflammation"),
        (ItemKind.FLASHCARD, "brady-", "Slow"),
    ]
    assert any("no header row" in w.message for w in res.warnings)
    assert {i.exams[0] for i in res.bank.items} == {"own"}  # no exam given: the own deck


def test_headerless_csv_with_choices_and_answer_letter(tmp_path: Path) -> None:
    data = b"Which code is essential hypertension?,I10,I11.9,I12.9,I15.0,A\n"
    [item] = read_bytes(tmp_path, "mc.csv", data).bank.items
    assert item.kind is ItemKind.SINGLE and item.correct_keys == ["a"]
    assert [c.text for c in item.choices] == ["I10", "I11.9", "I12.9", "I15.0"]


@pytest.mark.parametrize(("answer", "right"), [("T", "True"), ("F", "False"), ("false", "False")])
def test_t_and_f_answers_make_true_false_items(tmp_path: Path, answer: str, right: str) -> None:
    data = f"question,answer\nModifier 25 applies to E/M services.,{answer}\n".encode()
    [item] = read_bytes(tmp_path, "tf.csv", data).bank.items
    assert item.kind is ItemKind.TRUE_FALSE
    assert [c.text for c in item.choices if c.correct] == [right]


def test_carriage_returns_are_stripped(tmp_path: Path) -> None:
    data = b'question,back\r\n"First line\r\nsecond line","Back\rside"\r\n'
    [item] = read_bytes(tmp_path, "cr.csv", data).bank.items
    assert item.stem == "First line\nsecond line" and item.back == "Back\nside"


def test_semicolons_bom_and_crlf_as_excel_writes_them(tmp_path: Path) -> None:
    data = "\ufeffQuestion;A;B;Answer\r\nWhich is the suffix for removal?;-ectomy;-otomy;A\r\n"
    [item] = read_bytes(tmp_path, "excel.csv", data.encode()).bank.items
    assert item.stem == "Which is the suffix for removal?" and item.correct_keys == ["a"]


def test_an_unclosed_quote_is_named_with_its_line(tmp_path: Path) -> None:
    data = b'question,back\nFine,row\n"Never closed,back\nmore,rows\n'
    msg = refused(tmp_path, "q.csv", data)
    assert "q.csv:3: a quoted cell that starts on this line is never closed" in msg


def test_unknown_map_column_is_named_and_the_ignored_columns_hint_still_shows(
    tmp_path: Path,
) -> None:
    data = b"Q text,Back,Notes\nx,y,z\n"
    msg = refused(tmp_path, "m.csv", data, mapping={"Qtext": "stem"})
    assert "m.csv:1: --map names a column 'Qtext' the file does not have" in msg
    assert "columns ignored: Q text, Notes; use --map COLUMN=FIELD" in msg


def test_ignored_columns_hint_shows_with_row_errors(tmp_path: Path) -> None:
    data = b"question,answer,Notes\nWhat?,\n"
    msg = refused(tmp_path, "r.csv", data)
    assert "r.csv:2: no answer" in msg and "columns ignored: Notes" in msg


def test_per_row_exam_section_and_topics_columns(tmp_path: Path) -> None:
    data = (
        b"question,back,exam,section,topics\n"
        b"-ectomy,Surgical removal,cpc,terminology,suffixes; surgery\n"
        b"Clean claim,A claim with no errors,cpb,claims_billing,claims\n"
        b"HTN,Hypertension,,,\n"
    )
    items = read_bytes(tmp_path, "rows.csv", data).bank.items
    assert [(i.exams, i.section, i.topics) for i in items] == [
        (["cpc"], "terminology", ["suffixes", "surgery"]),
        (["cpb"], "claims_billing", ["claims"]),
        (["own"], "deck", []),
    ]
