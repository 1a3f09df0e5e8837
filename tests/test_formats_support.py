"""Builders shared by the format tests: small Anki packages and hypothesis banks.

Anki packages are built here with sqlite3, zipfile and zstandard, so no binary fixture from
elsewhere is needed: a legacy one (collection.anki2, note types in col.models) and a newer one
(zstd collection.anki21b, schema 18 note types and fields, plus the dummy collection.anki2).
"""

from __future__ import annotations

import io
import json
import sqlite3
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

from certprep.core.models import CHOICE_KEYS, Bank, Item

LEGACY_SCHEMA = """
CREATE TABLE col (id integer primary key, crt integer not null, mod integer not null,
  scm integer not null, ver integer not null, dty integer not null, usn integer not null,
  ls integer not null, conf text not null, models text not null, decks text not null,
  dconf text not null, tags text not null);
CREATE TABLE notes (id integer primary key, guid text not null, mid integer not null,
  mod integer not null, usn integer not null, tags text not null, flds text not null,
  sfld integer not null, csum integer not null, flags integer not null, data text not null);
CREATE TABLE cards (id integer primary key, nid integer not null, did integer not null,
  ord integer not null, mod integer not null, usn integer not null, type integer not null,
  queue integer not null, due integer not null, ivl integer not null, factor integer not null,
  reps integer not null, lapses integer not null, left integer not null, odue integer not null,
  odid integer not null, flags integer not null, data text not null);
CREATE TABLE revlog (id integer primary key, cid integer not null, usn integer not null,
  ease integer not null, ivl integer not null, lastIvl integer not null,
  factor integer not null, time integer not null, type integer not null);
CREATE TABLE graves (usn integer not null, oid integer not null, type integer not null);
"""

SCHEMA18_EXTRA = """
CREATE TABLE notetypes (id integer not null primary key, name text not null,
  mtime_secs integer not null, usn integer not null, config blob not null);
CREATE TABLE fields (ntid integer not null, ord integer not null, name text not null,
  config blob not null, primary key (ntid, ord)) without rowid;
CREATE TABLE templates (ntid integer not null, ord integer not null, name text not null,
  mtime_secs integer not null, usn integer not null, config blob not null,
  primary key (ntid, ord)) without rowid;
CREATE TABLE decks (id integer primary key not null, name text not null,
  mtime_secs integer not null, usn integer not null, common blob not null,
  kind blob not null);
"""

BASIC_MID = 1342697561419
CLOZE_MID = 1342697561420

Note = tuple[Any, ...]  # (id, guid, mid, tags, flds)
Review = tuple[Any, ...]  # (id ms, cid, ease, time ms, type)


def _collection(
    path: Path,
    notes: list[Note],
    reviews: list[Review],
    *,
    schema18: bool,
    note_types: dict[int, list[str]] | None = None,
) -> None:
    note_types = note_types or {BASIC_MID: ["Front", "Back"], CLOZE_MID: ["Text", "Back Extra"]}
    conn = sqlite3.connect(path)
    conn.executescript(LEGACY_SCHEMA)
    if schema18:
        conn.executescript(SCHEMA18_EXTRA)
        models = ""
        for ntid, names in note_types.items():
            conn.execute("INSERT INTO notetypes VALUES (?, ?, 0, 0, ?)", (ntid, f"nt{ntid}", b""))
            for o, name in enumerate(names):
                conn.execute("INSERT INTO fields VALUES (?, ?, ?, ?)", (ntid, o, name, b""))
    else:
        models = json.dumps(
            {
                str(mid): {
                    "id": mid,
                    "name": f"nt{mid}",
                    "flds": [{"name": n, "ord": o} for o, n in enumerate(names)],
                }
                for mid, names in note_types.items()
            }
        )
    conn.execute(
        "INSERT INTO col VALUES (1, 0, 0, 0, 11, 0, 0, 0, '{}', ?, '{}', '{}', '{}')", (models,)
    )
    for nid, guid, mid, tags, flds in notes:
        conn.execute(
            "INSERT INTO notes VALUES (?, ?, ?, 0, 0, ?, ?, '', 0, 0, '')",
            (nid, guid, mid, tags, flds),
        )
        # card id = note id * 10 + ord; a second (reverse) card for every note
        for ord_ in (0, 1):
            try:
                card = int(nid) * 10 + ord_
            except (TypeError, ValueError):
                continue
            conn.execute(
                "INSERT OR IGNORE INTO cards VALUES (?, ?, 1, ?, 0, 0, 2, 2, 0, 1, 2500, 1, 0, "
                "0, 0, 0, 0, '')",
                (card, nid, ord_),
            )
    for rid, cid, ease, ms, rtype in reviews:
        conn.execute(
            "INSERT OR IGNORE INTO revlog VALUES (?, ?, 0, ?, 1, 0, 2500, ?, ?)",
            (rid, cid, ease, ms, rtype),
        )
    conn.commit()
    conn.close()


def build_apkg(
    notes: list[Note],
    reviews: list[Review] = (),  # type: ignore[assignment]
    *,
    modern: bool = False,
    media: dict[str, bytes] | None = None,
    extra: dict[str, bytes] | None = None,
    note_types: dict[int, list[str]] | None = None,
) -> bytes:
    """An .apkg as bytes: legacy (collection.anki2) or modern (zstd anki21b + dummy anki2)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            real = Path(tmp) / "real.db"
            _collection(real, notes, list(reviews), schema18=modern, note_types=note_types)
            if modern:
                dummy = Path(tmp) / "dummy.db"
                _collection(
                    dummy,
                    [
                        (
                            1,
                            "dummy",
                            BASIC_MID,
                            "",
                            "Please update to the latest Anki version, then import the "
                            ".colpkg/.apkg file again.\x1f",
                        )
                    ],
                    [],
                    schema18=False,
                )
                zf.writestr("collection.anki2", dummy.read_bytes())
                blob = zstandard.ZstdCompressor().compress(real.read_bytes())
                zf.writestr("collection.anki21b", blob)
                zf.writestr("meta", b"\x08\x03")
            else:
                zf.writestr("collection.anki2", real.read_bytes())
            names = {str(i): name for i, name in enumerate(media or {})}
            zf.writestr("media", json.dumps(names))
            for i, data in enumerate((media or {}).values()):
                zf.writestr(str(i), data)
            for name, data in (extra or {}).items():
                zf.writestr(name, data)
        return out.getvalue()


SAMPLE_NOTES: list[Note] = [
    (
        1600000000001,
        "g-ectomy",
        BASIC_MID,
        " suffixes surgery ",
        "-ectomy\x1fSurgical <b>removal</b>",
    ),
    (1600000000002, "g-itis", BASIC_MID, "suffixes", "-itis\x1fInflammation&nbsp;of"),
    (
        1600000000003,
        "g-cloze",
        CLOZE_MID,
        "cloze",
        "Essential hypertension is {{c1::I10::code}}.\x1fThree characters.",
    ),
    (1600000000004, "g-empty", BASIC_MID, "", "only a front\x1f"),
]
SAMPLE_REVIEWS: list[Review] = [
    (1700000000000, 16000000000010, 3, 5200, 0),
    (1700086400000, 16000000000010, 4, 3100, 1),
    (1700000500000, 16000000000011, 1, 9000, 1),  # the reverse card: not carried
    (1700000600000, 16000000000020, 0, 0, 4),  # a manual reschedule: not a rating
    (1700000700000, 16000000000020, 2, 70000, 1),
]


# ---------------------------------------------------------------------------- hypothesis banks

_SPECIAL = "~=#{}:\\[]<>&%/;,'\"-> \n\t"
TEXT = st.text(
    alphabet=st.one_of(
        st.characters(
            blacklist_categories=("Cs", "Cc", "Zl", "Zp"),
            blacklist_characters="\u0085\x1c\x1d\x1e\x1f",
        ),
        st.sampled_from(_SPECIAL),
    ),
    min_size=1,
    max_size=30,
).filter(lambda s: s.strip() != "")
WORD = st.from_regex(r"[a-z][a-z0-9 \-]{0,12}[a-z0-9]", fullmatch=True).filter(
    lambda s: s != "top" and not s.startswith("default for")
)
KEY = st.from_regex(r"[a-z0-9][a-z0-9_\-]{0,10}", fullmatch=True)
ID = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,20}", fullmatch=True)
CODE = st.from_regex(r"[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?", fullmatch=True)
REFERENCE = TEXT.filter(lambda s: ";" not in s and "\n" not in s)


def _unique_texts(n_min: int, n_max: int) -> st.SearchStrategy[list[str]]:
    return st.lists(TEXT, min_size=n_min, max_size=n_max, unique_by=lambda s: s.strip().casefold())


@st.composite
def items(draw: st.DrawFn, item_id: str, *, kinds: tuple[str, ...]) -> dict[str, Any]:
    """One valid item as a dict (validated into Item by ``banks``)."""
    kind = draw(st.sampled_from(kinds))
    data: dict[str, Any] = {
        "id": item_id,
        "kind": kind,
        "exams": draw(st.lists(KEY, min_size=1, max_size=2, unique=True)),
        "section": draw(KEY),
        "topics": draw(st.lists(WORD, max_size=3, unique=True)),
        "stem": draw(TEXT),
        "rationale": draw(TEXT),
        "references": draw(st.lists(REFERENCE, min_size=1, max_size=2)),
    }
    rationales = st.one_of(st.none(), TEXT)
    if kind in ("single", "multiple"):
        n = draw(st.integers(2 if kind == "single" else 3, 6))
        texts = draw(
            _unique_texts(n, n).filter(
                lambda ts: sorted(t.strip().casefold() for t in ts) != ["false", "true"]
            )
        )
        if kind == "single":
            right = {draw(st.integers(0, n - 1))}
        else:
            right = set(
                draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=n - 1, unique=True))
            )
        data["choices"] = [
            {"key": k, "text": t, "correct": i in right, "rationale": draw(rationales)}
            for i, (k, t) in enumerate(zip(CHOICE_KEYS, texts, strict=False))
        ]
    elif kind == "true_false":
        order = draw(st.sampled_from([["True", "False"], ["False", "True"]]))
        right = draw(st.integers(0, 1))
        data["choices"] = [
            {"key": k, "text": t, "correct": i == right, "rationale": draw(rationales)}
            for i, (k, t) in enumerate(zip("ab", order, strict=True))
        ]
    elif kind == "code":
        data["codes"] = draw(st.lists(CODE, min_size=1, max_size=3, unique=True))
        alts = draw(st.lists(st.lists(CODE, min_size=1, max_size=2, unique=True), max_size=2))
        data["alternatives"] = [
            a for i, a in enumerate(alts) if a != data["codes"] and a not in alts[:i]
        ]
    else:
        data["back"] = draw(TEXT)
    return data


@st.composite
def banks(
    draw: st.DrawFn,
    kinds: tuple[str, ...] = ("single", "multiple", "true_false", "code", "flashcard"),
) -> Bank:
    """A valid bank of 1-5 items of the given kinds."""
    ids = draw(st.lists(ID, min_size=1, max_size=5, unique_by=str.casefold))
    data = [draw(items(i, kinds=kinds)) for i in ids]
    return Bank.model_validate({"name": draw(KEY), "items": data})


def carried(item: Item, fields: tuple[str, ...]) -> dict[str, Any]:
    """The fields of an item a format carries, for comparing round trips."""
    dumped = item.model_dump(mode="json")
    return {f: dumped[f] for f in fields}


@settings(max_examples=20, deadline=None)
@given(banks())
def test_generated_banks_are_valid(bank: Bank) -> None:
    assert 1 <= len(bank.items) <= 5
    assert all(item.rationale and item.references for item in bank.items)
