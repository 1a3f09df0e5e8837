"""No input makes a reader crash: every file gives a ReadResult or an InputError, nothing else."""

from __future__ import annotations

import io
import sqlite3
import tempfile
import zipfile
from pathlib import Path

import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certprep.banks.formats import FORMATS, ReadResult, read_bank_bytes
from certprep.core.problems import InputError, Problem

from .conftest import DATA
from .test_formats_support import (
    BASIC_MID,
    CLOZE_MID,
    SAMPLE_NOTES,
    SAMPLE_REVIEWS,
    build_apkg,
)

FAST = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
SLOW = settings(
    max_examples=5000,  # x2 tests per format: >= 10,000 examples per importer
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
FMT = DATA / "formats"
NAMES = {
    "native": "x.yaml",
    "csv": "x.csv",
    "tsv": "x.tsv",
    "json": "x.json",
    "aiken": "x.txt",
    "gift": "x.gift",
    "moodle": "x.xml",
    "apkg": "x.apkg",
}
SEEDS = {
    "native": (DATA / "sample_bank.yaml").read_bytes(),
    "csv": (FMT / "questions.csv").read_bytes(),
    "tsv": (FMT / "questions.csv").read_bytes().replace(b",", b"\t"),
    "json": (FMT / "questions.json").read_bytes(),
    "aiken": (FMT / "questions.aiken.txt").read_bytes(),
    "gift": (FMT / "questions.gift").read_bytes(),
    "moodle": (FMT / "quiz.xml").read_bytes(),
    "apkg": build_apkg(SAMPLE_NOTES, SAMPLE_REVIEWS, modern=True),
}
TOKENS = [
    "::",
    "{",
    "}",
    "=",
    "~",
    "#",
    "####",
    "%50%",
    "%-100%",
    "\\",
    "\n",
    "\n\n",
    "$CATEGORY: a/b",
    "A. ",
    "B) ",
    "ANSWER: ",
    "ANSWER: A",
    "T",
    "FALSE",
    "->",
    "[html]",
    "<p>",
    "<![if x]>",
    "&amp;",
    "&#0;",
    "x",
    "question",
    "answer",
    "kind",
    "single",
    "code",
    ",",
    ";",
    '"',
    "\t",
    "//",
    "sep=;",
    "\r",
    "é",
    "\ufeff",
    "<quiz>",
    "</quiz>",
    '<question type="multichoice">',
    '<question type="truefalse">',
    '<question type="shortanswer">',
    '<question type="category">',
    "</question>",
    '<answer fraction="100">',
    '<answer fraction="nan">',
    "</answer>",
    "<text>",
    "</text>",
    "<questiontext format='html'>",
    "</questiontext>",
    "<single>false</single>",
    "[",
    "]",
    "[{",
    "}]",
    '"a": ',
    '"choices": ["x", "y"]',
    "null",
    "1e999",
    'encoding="TF-8"',
    "9" * 4400,
    "²",
]


def read_safely(data: bytes, name: str, fmt: str, **kw: object) -> None:
    """The only acceptable outcomes: a result, or an InputError listing located problems."""
    kw.setdefault("exam", "cpc")
    kw.setdefault("section", "s")
    try:
        res = read_bank_bytes(data, name, fmt, **kw)  # type: ignore[arg-type]
    except InputError as exc:
        assert exc.problems and all(isinstance(p, Problem) for p in exc.problems)
        assert all(p.message for p in exc.problems)
        assert str(exc)
    else:
        assert isinstance(res, ReadResult)
        assert res.bank.items


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    """A near-valid file: a few cuts, insertions, duplications and flipped bytes."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["cut", "insert", "dup", "flip", "token"]))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "cut":
            del data[pos : pos + draw(st.integers(1, 64))]
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        elif op == "dup":
            data[pos:pos] = data[pos : pos + draw(st.integers(1, 200))]
        elif op == "flip" and data:
            data[pos] = draw(st.integers(0, 255))
        else:
            data[pos:pos] = draw(st.sampled_from(TOKENS)).encode()
    return bytes(data)


TOKEN_TEXT = st.lists(st.sampled_from(TOKENS), max_size=60).map("".join)


@pytest.mark.parametrize("fmt", FORMATS)
@FAST
@given(data=st.binary(max_size=2000))
def test_random_bytes(fmt: str, data: bytes) -> None:
    read_safely(data, NAMES[fmt], fmt)


@pytest.mark.parametrize("fmt", FORMATS)
@FAST
@given(st.data())
def test_near_valid_files(fmt: str, data: st.DataObject) -> None:
    read_safely(data.draw(mutated(SEEDS[fmt])), NAMES[fmt], fmt)


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "apkg"])
@FAST
@given(text=TOKEN_TEXT)
def test_token_soup(fmt: str, text: str) -> None:
    read_safely(text.encode("utf-8"), NAMES[fmt], fmt)


@FAST
@given(
    text=TOKEN_TEXT,
    name=st.sampled_from(["a.txt", "b", "c.json", "d.csv", "e.xml"]),
    mapping=st.none()
    | st.dictionaries(st.sampled_from(["question", "a", "x", ""]), st.text(max_size=8)),
    exam=st.none() | st.text(max_size=8),
)
def test_auto_detection_and_options(
    text: str, name: str, mapping: dict[str, str] | None, exam: str | None
) -> None:
    try:
        read_bank_bytes(text.encode(), name, "auto", exam=exam, section="s", mapping=mapping)
    except InputError as exc:
        assert exc.problems


# ---------------------------------------------------------------------------- anki internals

ANY_SQL = st.one_of(
    st.none(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.binary(max_size=40),
)
FIELDS = st.one_of(
    ANY_SQL,
    st.lists(
        st.text(max_size=30) | st.sampled_from(["{{c1::x}}", "<b>", "[sound:a.mp3]"]), max_size=4
    ).map("\x1f".join),
)
NOTES = st.lists(
    st.tuples(
        st.integers(1, 2**40),
        ANY_SQL,
        st.sampled_from([BASIC_MID, CLOZE_MID, 7]) | ANY_SQL,
        ANY_SQL,
        FIELDS,
    ),
    max_size=6,
    unique_by=lambda n: n[0],
)
REVIEWS = st.lists(
    st.tuples(st.integers(-(2**62), 2**62), ANY_SQL, ANY_SQL, ANY_SQL, ANY_SQL), max_size=8
)


def _loose_apkg(notes: list, reviews: list, modern: bool) -> bytes:
    import tests.test_formats_support as support

    strict = support.LEGACY_SCHEMA
    support.LEGACY_SCHEMA = strict.replace("not null", "")
    try:
        return build_apkg(notes, reviews, modern=modern)
    finally:
        support.LEGACY_SCHEMA = strict


@FAST
@given(notes=NOTES, reviews=REVIEWS, modern=st.booleans())
def test_apkg_with_odd_rows(notes: list, reviews: list, modern: bool) -> None:
    read_safely(_loose_apkg(notes, reviews, modern), "odd.apkg", "apkg")


def _database() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(io.BytesIO(SEEDS["apkg"])) as zf:
            raw = zstandard.ZstdDecompressor().decompress(zf.read("collection.anki21b"))
        path = Path(tmp) / "c.db"
        path.write_bytes(raw)
        sqlite3.connect(path).close()
        return path.read_bytes()


DATABASE = _database()


@FAST
@given(st.data())
def test_apkg_with_damaged_database(data: st.DataObject) -> None:
    db = bytearray(DATABASE)
    for _ in range(data.draw(st.integers(1, 20))):
        pos = data.draw(st.integers(0, len(db) - 1))
        db[pos] = data.draw(st.integers(0, 255))
    compress = data.draw(st.booleans())
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        if compress:
            zf.writestr("collection.anki21b", zstandard.ZstdCompressor().compress(bytes(db)))
        else:
            zf.writestr("collection.anki2", bytes(db))
    read_safely(out.getvalue(), "damaged.apkg", "apkg")


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
@SLOW
@given(st.data())
def test_near_valid_files_long(fmt: str, data: st.DataObject) -> None:
    read_safely(data.draw(mutated(SEEDS[fmt])), NAMES[fmt], fmt)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "apkg"])
@SLOW
@given(text=TOKEN_TEXT)
def test_token_soup_long(fmt: str, text: str) -> None:
    read_safely(text.encode("utf-8"), NAMES[fmt], fmt)


@pytest.mark.slow
@SLOW
@given(notes=NOTES, reviews=REVIEWS, modern=st.booleans())
def test_apkg_with_odd_rows_long(notes: list, reviews: list, modern: bool) -> None:
    read_safely(_loose_apkg(notes, reviews, modern), "odd.apkg", "apkg")


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b'<?xml version="1.0" encoding="TF-8"?><quiz/>', "x.xml", "unknown encoding"),
        (b'<?xml version="1.0" encoding="UTF-32"?><quiz/>', "x.xml", "save it as UTF-8"),
        (b'[{"question": 1' + b"1" * 5000 + b"}]", "x.json", "4300 digits"),
        (b"name: 1" + b"1" * 5000, "x.yaml", "4300 digits"),
        (b"name: 2020-13-45", "x.yaml", "month must be in 1..12"),
        ("question,a,b,answer\nq,x,y,²\n".encode(), "x.csv", "x.csv:2: answer '²'"),
    ],
)
def test_inputs_fuzzing_found(data: bytes, name: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        read_bank_bytes(data, name, exam="cpc", section="s")
