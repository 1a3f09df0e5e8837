"""Reading foreign bank files: what a user importing each format would see."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from certprep.banks.formats import (
    DEFAULT_RATIONALE,
    FORMATS,
    ReadResult,
    detect_format,
    read_bank,
    read_bank_bytes,
)
from certprep.banks.formats import anki as anki_mod
from certprep.core.models import ItemKind
from certprep.core.problems import InputError

from .conftest import DATA
from .test_formats_support import (
    BASIC_MID,
    SAMPLE_NOTES,
    SAMPLE_REVIEWS,
    build_apkg,
)

FMT = DATA / "formats"


def read(name: str, **kw: object) -> ReadResult:
    kw.setdefault("exam", "cpc")
    kw.setdefault("section", "icd10cm")
    return read_bank(FMT / name, **kw)  # type: ignore[arg-type]


def problems(name: str, **kw: object) -> list[str]:
    with pytest.raises(InputError) as info:
        read(name, **kw)
    return [str(p) for p in info.value.problems]


def by_id(result: ReadResult) -> dict:
    return {item.id: item for item in result.bank.items}


# ---------------------------------------------------------------------------- detection


@pytest.mark.parametrize(
    ("name", "head", "fmt"),
    [
        ("bank.yaml", b"name: x", "native"),
        ("bank.json", b' {"name": "x"}', "native"),
        ("rows.json", b"\xef\xbb\xbf[{}]", "json"),
        ("rows.csv", b"question,a,b", "csv"),
        ("rows.tsv", b"question\ta", "tsv"),
        ("rows.txt", b"question\ta\tb\n", "tsv"),
        ("rows.txt", b"question,a,b\n", "csv"),
        ("quiz.txt", b"What?\nA. one\nB. two\nANSWER: A\n", "aiken"),
        ("quiz.txt", b"// c\n::t:: What? {=a ~b}\n", "gift"),
        ("quiz.gift", b"", "gift"),
        ("quiz.xml", b"<?xml version='1.0'?><quiz>", "moodle"),
        ("download", b"<?xml version='1.0'?>\n<quiz>", "moodle"),
        ("deck.apkg", b"PK\x03\x04", "apkg"),
        ("deck.colpkg", b"PK\x03\x04", "apkg"),
        ("deck.zip", b"PK\x03\x04", "apkg"),
    ],
)
def test_detect_format(name: str, head: bytes, fmt: str) -> None:
    assert detect_format(Path(name), head) == fmt
    assert fmt in FORMATS


def test_detect_unknown_says_pass_format() -> None:
    with pytest.raises(InputError, match="pass --format"):
        detect_format(Path("mystery.bin"), b"\x00\x01\x02")


def test_unknown_format_name_is_refused() -> None:
    with pytest.raises(InputError, match="unknown format 'docx'"):
        read_bank(FMT / "questions.csv", "docx")


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_bank(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="no such file"):
        read_bank(tmp_path)


def test_file_size_is_capped_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from certprep.banks import formats

    monkeypatch.setattr(formats, "MAX_FILE_BYTES", 10)
    big = tmp_path / "big.csv"
    big.write_text("question,answer\n" * 5)
    with pytest.raises(InputError, match=r"may be at most 0 MiB"):
        read_bank(big)


# ---------------------------------------------------------------------------- csv / tsv / json


def test_csv_maps_common_columns() -> None:
    res = read("questions.csv")
    assert res.fmt == "csv"
    items = by_id(res)
    assert list(items) == ["q1", "q2", "q3", "q4"]
    q1 = items["q1"]
    assert q1.kind is ItemKind.SINGLE and q1.correct_keys == ["a"]
    assert q1.topics == ["cardio", "hypertension"] and q1.exams == ["cpc"]
    assert q1.rationale == "Essential hypertension is I10."
    q2 = items["q2"]
    assert q2.kind is ItemKind.MULTIPLE and q2.correct_keys == ["a", "b"]
    assert q2.stem == "Which two are HIPAA transactions?\n(choose 2)"
    assert q2.section == "compliance"
    assert items["q3"].correct_keys == ["a"]  # answer given as the choice's text
    assert items["q4"].kind is ItemKind.TRUE_FALSE
    assert q2.rationale == DEFAULT_RATIONALE
    assert q1.references == ["Imported from questions.csv"]


def test_defaults_are_one_summary_warning_each() -> None:
    res = read("questions.csv")
    text = [w.message for w in res.warnings]
    assert sum("no rationale" in t for t in text) == 1
    assert sum("cite no reference" in t for t in text) == 1
    assert any(t.startswith("2 of 4 questions have no rationale") for t in text)


def test_csv_without_exam_or_section_goes_to_the_learners_own_deck() -> None:
    res = read("flashcards.csv", exam=None, section=None)
    assert {(tuple(i.exams), i.section) for i in res.bank.items} == {(("own",), "deck")}
    assert any(
        "3 questions name no exam; they go to your own deck" in w.message for w in res.warnings
    )


def test_exam_without_section_is_refused_per_question() -> None:
    msgs = problems("flashcards.csv", exam="cpc", section=None)
    assert len(msgs) == 3 and "no section for this question of exam cpc" in msgs[0]


def test_front_back_csv_becomes_flashcards() -> None:
    res = read("flashcards.csv", section="terminology")
    assert [i.kind for i in res.bank.items] == [ItemKind.FLASHCARD] * 3
    assert res.bank.items[0].stem == "-ectomy" and res.bank.items[0].back == "Surgical removal"
    assert res.bank.name == "flashcards"


def test_ids_are_stable_across_imports() -> None:
    first = [i.id for i in read("flashcards.csv").bank.items]
    again = [i.id for i in read("flashcards.csv").bank.items]
    assert first == again and all(i.startswith("flashcards-") for i in first)
    named = [i.id for i in read("flashcards.csv", bank_name="Suffix Deck").bank.items]
    assert all(i.startswith("suffix_deck-") for i in named)


def test_broken_csv_names_every_line() -> None:
    msgs = problems("broken.csv")
    assert len(msgs) == 3
    assert msgs[0].endswith(
        "broken.csv:3: answer 'Z' is neither a choice letter (A, B, C) nor the text of a choice"
    )
    assert "broken.csv:4: kind 'essay' is not known" in msgs[1]
    assert "broken.csv:5: the question is empty" in msgs[2]


def test_excel_sep_line_semicolons_and_numbered_answers() -> None:
    res = read("excel_semicolon.txt")
    (item,) = res.bank.items
    assert item.correct_keys == ["b"] and [c.text for c in item.choices] == ["25", "59", "76"]
    assert item.topics == ["modifiers"]


def test_mapping_overrides_columns(tmp_path: Path) -> None:
    f = tmp_path / "odd.csv"
    f.write_text("Q text,Opt1,Opt2,Right,Notes\nWhich?,yes,no,A,because\n")
    res = read_bank(
        f,
        exam="cpc",
        section="icd10cm",
        mapping={
            "Q text": "stem",
            "Opt1": "choice_a",
            "Opt2": "b",
            "Right": "answer",
            "Notes": "rationale",
        },
    )
    (item,) = res.bank.items
    assert item.stem == "Which?" and item.correct_keys == ["a"] and item.rationale == "because"


def test_mapping_mistakes_are_problems(tmp_path: Path) -> None:
    f = tmp_path / "odd.csv"
    f.write_text("Q text,Opt1\nWhich?,yes\n")
    with pytest.raises(InputError) as info:
        read_bank(f, exam="cpc", section="x", mapping={"Nope": "stem", "Q text": "wibble"})
    text = str(info.value)
    assert "odd.csv:1: --map names a column 'Nope'" in text
    assert "--map Q text=wibble: unknown field" in text


def test_csv_row_with_too_many_cells(tmp_path: Path) -> None:
    f = tmp_path / "wide.csv"
    f.write_text("question,a,b,answer\nWhich?,x,y,A,extra,cells\n")
    with pytest.raises(InputError, match=r"wide.csv:2: this row has 6 cells but the header has 4"):
        read_bank(f, exam="cpc", section="x")


def test_duplicate_ids_are_an_error(tmp_path: Path) -> None:
    f = tmp_path / "dup.csv"
    f.write_text("id,question,back\nx1,one,1\nx1,two,2\n")
    with pytest.raises(InputError, match=r"dup.csv:3: id 'x1' appears twice \(first at line 2\)"):
        read_bank(f, exam="cpc", section="x")


def test_repeated_questions_without_ids_are_dropped_with_a_warning(tmp_path: Path) -> None:
    f = tmp_path / "rep.csv"
    f.write_text("front,back\none,1\none,1\ntwo,2\n")
    res = read_bank(f, exam="cpc", section="x")
    assert len(res.bank.items) == 2
    assert any("repeat an earlier question" in w.message for w in res.warnings)


def test_cp1252_csv_is_refused_with_offset_and_line_unless_encoding_given(tmp_path: Path) -> None:
    f = tmp_path / "excel.csv"
    f.write_bytes("front,back\ntea,leaf\ncafé,coffee\n".encode("cp1252"))
    with pytest.raises(InputError) as info:
        read_bank(f, exam="cpc", section="x")
    assert f"{f}:3: byte 23 (0xe9) is not UTF-8 text" in str(info.value)
    assert "--encoding cp1252" in str(info.value)
    res = read_bank(f, exam="cpc", section="x", encoding="cp1252")
    assert res.bank.items[1].stem == "café"


def test_utf16_with_a_bom_is_read(tmp_path: Path) -> None:
    f = tmp_path / "excel.txt"
    f.write_bytes("Question\tBack\nCafé?\tCoffee\n".encode("utf-16"))
    res = read_bank(f, exam="cpc", section="x")
    assert res.fmt == "tsv" and res.bank.items[0].stem == "Café?"


def test_json_array_of_objects() -> None:
    res = read("questions.json")
    assert res.fmt == "json"
    items = by_id(res)
    assert items["j1"].correct_keys == ["a"] and items["j1"].topics == ["cardio", "hypertension"]
    assert items["j2"].kind is ItemKind.MULTIPLE and items["j2"].exams == ["cpc", "cpb"]
    assert items["j2"].choices[1].rationale == "Remittance advice."
    code = next(i for i in res.bank.items if i.kind is ItemKind.CODE)
    assert code.codes == ["I10"] and code.id.startswith("questions-")


def test_broken_json_names_records() -> None:
    msgs = problems("broken.json")
    assert any("(record 2): expected an object" in m for m in msgs)
    assert any("(record 3): no answer" in m for m in msgs)
    assert any("(record 4): expected text or a list of texts" in m for m in msgs)
    assert not any("record 1" in m for m in msgs)


def test_json_object_is_native_not_json(tmp_path: Path) -> None:
    f = tmp_path / "obj.json"
    f.write_text('{"name": "x"}')
    with pytest.raises(InputError, match="native bank"):
        read_bank(f, "json")


def test_native_through_read_bank() -> None:
    res = read_bank(DATA / "sample_bank.yaml")
    assert res.fmt == "native" and len(res.bank.items) == 5 and res.bank.name == "sample"
    renamed = read_bank(DATA / "sample_bank.yaml", bank_name="other")
    assert renamed.bank.name == "other"


# ---------------------------------------------------------------------------- aiken


def test_aiken() -> None:
    res = read("questions.aiken.txt")
    assert res.fmt == "aiken"
    a, b, c = res.bank.items
    assert a.correct_keys == ["a"] and len(a.choices) == 4
    assert b.stem.startswith("Which modifier") and "same day" in b.stem
    assert b.correct_keys == ["b"]
    assert c.kind is ItemKind.TRUE_FALSE


def test_broken_aiken_names_lines() -> None:
    msgs = problems("broken.aiken.txt", fmt="aiken")
    assert "broken.aiken.txt:4: ANSWER 'E' is not one of the option letters (A, B)" in msgs[0]
    assert ":8: the question on line 6 has 1 options" in msgs[1]
    assert ":13: expected an option like 'C. text'" in msgs[2]
    assert ":15: the question on line 15 has no 'ANSWER: X' line" in msgs[3]


def test_aiken_without_exam_goes_to_the_own_deck() -> None:
    res = read("questions.aiken.txt", exam=None, section=None)
    assert {i.section for i in res.bank.items} == {"deck"}


# ---------------------------------------------------------------------------- gift


def test_gift() -> None:
    res = read("questions.gift")
    items = by_id(res)
    htn = items["htn-1"]
    assert htn.topics == ["Cardiology", "Hypertension"]
    assert htn.correct_keys == ["a"] and htn.choices[1].rationale == "I11 needs heart disease."
    assert htn.rationale == "Essential hypertension is I10: no further characters."
    code = items["htn-2"]
    assert (
        code.kind is ItemKind.CODE and code.codes == ["E11.9"] and code.alternatives == [["E119"]]
    )
    tf = items["tf-1"]
    assert tf.kind is ItemKind.TRUE_FALSE and tf.correct_keys == ["b"]
    assert tf.choices[0].rationale == "It can, wrongly." and tf.rationale == "Right, it cannot."
    multi = items["hipaa"]
    assert multi.kind is ItemKind.MULTIPLE and multi.correct_keys == ["a", "b"]
    assert multi.topics == ["Compliance"]
    esc = next(i for i in res.bank.items if i.stem.startswith("Escapes"))
    assert esc.stem == "Escapes: 1 = 1, a {brace} and a #hash~tilde."
    html = items["html"]
    assert html.stem == "Which is [bold] & plain?" and html.choices[0].text == "this"
    skipped = next(w.message for w in res.warnings if "skipped" in w.message)
    assert skipped == (
        "3 questions skipped: 1 description without answers, 1 essay, 1 matching: not supported: "
        "'desc' (line 28): description; 'essay' (line 30): essay; 'match' (line 32): matching"
    )


def test_broken_gift_names_lines() -> None:
    msgs = problems("broken.gift")
    assert len(msgs) == 4
    assert "broken.gift:3: '{' is never closed" in msgs[0]
    assert "broken.gift:5: text 'hello' before the first answer" in msgs[1]
    assert "broken.gift:7: the title after '::' is never closed" in msgs[2]
    assert "broken.gift:9: a second answer block" in msgs[3]


# ---------------------------------------------------------------------------- moodle


def test_moodle() -> None:
    res = read("quiz.xml")
    assert res.fmt == "moodle"
    items = by_id(res)
    htn = items["HTN-1"]
    assert htn.stem == (
        "Which code reports essential hypertension?\n\nShow [bold] literally & decode <entities>."
    )
    assert htn.topics == ["Cardiology", "hypertension"]
    assert htn.rationale == "I10 is essential hypertension."
    assert htn.choices[0].rationale == "Right." and htn.correct_keys == ["a"]
    tf = items["TF-1"]
    assert tf.kind is ItemKind.TRUE_FALSE and tf.correct_keys == ["a"]
    assert tf.choices[0].rationale == "Yes, three characters."
    code = items["Code-1"]
    assert code.codes == ["E11.9"] and code.alternatives == [["E119"]]  # the 50% answer is not
    multi = items["hipaa-2"]  # idnumber wins over the name
    assert multi.kind is ItemKind.MULTIPLE and multi.topics == ["Compliance"]
    assert any(
        w.message == "1 question skipped: 1 essay: not supported: question 7 'Essay': essay"
        for w in res.warnings
    )


def test_broken_moodle_names_questions() -> None:
    msgs = problems("broken.xml")
    assert any("(question 1 'No right answer')" in m and "exactly one correct" in m for m in msgs)
    assert any("(question 2 'Bad fraction'): answer fraction 'lots'" in m for m in msgs)


def test_moodle_refuses_entities_and_reports_syntax_line() -> None:
    assert "refused for safety" in problems("entities.xml")[0]
    assert "malformed.xml:5: not valid XML" in problems("malformed.xml")[0]


# ---------------------------------------------------------------------------- anki


def _apkg(tmp_path: Path, data: bytes, name: str = "deck.apkg") -> Path:
    f = tmp_path / name
    f.write_bytes(data)
    return f


@pytest.mark.parametrize("modern", [False, True])
def test_apkg_notes_become_flashcards_with_history(tmp_path: Path, modern: bool) -> None:
    data = build_apkg(SAMPLE_NOTES, SAMPLE_REVIEWS, modern=modern, media={"a.png": b"\x89PNG"})
    res = read_bank(_apkg(tmp_path, data), exam="cpc", section="terminology")
    assert res.fmt == "apkg"
    items = res.bank.items
    assert [i.stem for i in items] == [
        "-ectomy",
        "-itis",
        "Essential hypertension is [code].",
    ]  # the note with an empty back is left out, not the dummy "please update" note
    assert items[0].back == "Surgical removal" and items[0].topics == ["suffixes", "surgery"]
    assert items[1].back == "Inflammation of"
    assert items[2].back == "Essential hypertension is I10.\nThree characters."
    assert all(i.kind is ItemKind.FLASHCARD for i in items)
    warnings = " | ".join(w.message for w in res.warnings)
    assert "1 media files" in warnings and "1 cards were left out" in warnings
    hist = {h.item_id: h.reviews for h in res.history}
    assert hist[items[0].id] == [
        (datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC), 3, 5200),
        (datetime(2023, 11, 15, 22, 13, 20, tzinfo=UTC), 4, 3100),
    ]
    assert hist[items[1].id] == [(datetime(2023, 11, 14, 22, 25, tzinfo=UTC), 2, 70000)]
    again = read_bank(
        _apkg(tmp_path, data, "again.apkg"), bank_name="deck", exam="cpc", section="t"
    )
    assert [i.id for i in again.bank.items] == [i.id for i in items]


def test_apkg_back_is_the_field_named_back(tmp_path: Path) -> None:
    data = build_apkg(
        [(1, "g1", BASIC_MID, "", "Front text\x1fAn extra note\x1fThe back")],
        modern=True,
        note_types={BASIC_MID: ["Front", "Extra", "Back"]},
    )
    res = read_bank(_apkg(tmp_path, data), exam="cpc", section="t")
    assert res.bank.items[0].back == "The back"


def test_apkg_refuses_unsafe_names(tmp_path: Path) -> None:
    data = build_apkg(SAMPLE_NOTES[:1], extra={"../evil.txt": b"x", "/abs.txt": b"y"})
    with pytest.raises(InputError) as info:
        read_bank(_apkg(tmp_path, data), exam="cpc", section="t")
    text = str(info.value)
    assert "unsafe name '../evil.txt'" in text and "unsafe name '/abs.txt'" in text


def test_apkg_refuses_zip_bombs(tmp_path: Path) -> None:
    data = build_apkg(SAMPLE_NOTES[:1], extra={"bomb": b"\0" * (4 * 1024 * 1024)})
    with pytest.raises(InputError, match="zip bomb"):
        read_bank(_apkg(tmp_path, data), exam="cpc", section="t")


def test_apkg_caps_total_and_zstd_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = build_apkg(SAMPLE_NOTES, modern=True)
    monkeypatch.setattr(anki_mod, "MAX_COLLECTION", 4096)
    with pytest.raises(InputError, match="decompresses to more than"):
        read_bank(_apkg(tmp_path, data), exam="cpc", section="t")
    monkeypatch.setattr(anki_mod, "MAX_UNCOMPRESSED", 100)
    with pytest.raises(InputError, match="unpacks to"):
        read_bank(_apkg(tmp_path, data), exam="cpc", section="t")


def test_apkg_without_collection_or_damaged(tmp_path: Path) -> None:
    f = tmp_path / "empty.apkg"
    with zipfile.ZipFile(f, "w") as zf:
        zf.writestr("media", "{}")
    with pytest.raises(InputError, match="no collection inside the package"):
        read_bank(f, exam="cpc", section="t")
    with zipfile.ZipFile(f, "w") as zf:
        zf.writestr("collection.anki2", b"SQLite format 3\x00" + b"\x01" * 500)
    with pytest.raises(InputError, match="damaged"):
        read_bank(f, exam="cpc", section="t")
    with pytest.raises(InputError, match="not a readable Anki package"):
        read_bank_bytes(b"PK\x03\x04 not really", "x.apkg", exam="cpc", section="t")


def test_apkg_without_exam_goes_to_the_own_deck(tmp_path: Path) -> None:
    data = build_apkg(SAMPLE_NOTES)
    assert {i.exams[0] for i in read_bank(_apkg(tmp_path, data)).bank.items} == {"own"}


def test_tsv_and_ignored_columns(tmp_path: Path) -> None:
    f = tmp_path / "cards.tsv"
    f.write_text("term\tdefinition\tsource page\tnotes\n-itis\tinflammation\t12\tx\n")
    res = read_bank(f, exam="CPC", section="Medical Terminology")
    (item,) = res.bank.items
    assert item.kind is ItemKind.FLASHCARD and item.back == "inflammation"
    assert item.exams == ["cpc"] and item.section == "medical_terminology"
    assert any("columns ignored: source page, notes" in w.message for w in res.warnings)


def test_mapping_can_ignore_a_column(tmp_path: Path) -> None:
    f = tmp_path / "m.csv"
    f.write_text("front,back,tags\none,1,skip me\n")
    res = read_bank(f, exam="cpc", section="t", mapping={"tags": "ignore"})
    assert res.bank.items[0].topics == []


def test_exam_option_without_letters_is_a_problem(tmp_path: Path) -> None:
    f = tmp_path / "m.csv"
    f.write_text("front,back\none,1\n")
    with pytest.raises(InputError, match="--exam '!!!' has no letters or digits"):
        read_bank(f, exam="!!!", section="t")


def test_colpkg_extension_reads_like_apkg(tmp_path: Path) -> None:
    data = build_apkg(SAMPLE_NOTES[:2], modern=True)
    res = read_bank(_apkg(tmp_path, data, "collection.colpkg"), exam="cpc", section="t")
    assert res.fmt == "apkg" and len(res.bank.items) == 2 and res.bank.name == "collection"
    assert res.history == []
