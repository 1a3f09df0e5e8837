"""The streamed reader's fast path (pydantic-core parses and validates a batch of items from the
text) gives what the plain path (the stdlib's scanner, then pydantic item by item) gives: the
same rows, problems, checksum, and the same database after an import, in every layout."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import certprep.banks.native_stream as native_stream
import certprep.banks.native_worker as native_worker
import certprep.services.import_stream as import_stream
from certprep.banks.native_stream import NativeJsonStream, prepare
from certprep.core.problems import InputError
from certprep.services import open_services
from certprep.services.imports import import_files

BATCH = 4


def _items(n: int) -> list[dict[str, Any]]:
    """Items of every kind, with what validation changes (white space stripped, controls made
    visible, exams twice, defaults from the bank) and text that looks like a separator."""
    out: list[dict[str, Any]] = []
    for i in range(n):
        item: dict[str, Any] = {
            "id": f"fast-{i:03d}",
            "section": "icd10cm",
            "topics": [f"topic-{i % 3}"],
            "stem": f'  Question {i} \x1b[31m}},{{"id": "x"}}, {{ ✓ é\u2028  ',
            "choices": [
                {"key": k, "text": f"option {k} {i}", "correct": k == "abcd"[i % 4]} for k in "abcd"
            ],
            "rationale": "Because.\r\nSee}, {the guideline",
            "references": ["Ref }\n{"],
        }
        if i % 5 == 1:
            item.update(kind="code", choices=[], codes=["A00.0", "B01"], alternatives=[["A00"]])
            item["partial_credit"] = True
        if i % 5 == 2:
            item.update(kind="flashcard", choices=[], back="The back\t side")
        if i % 5 == 3:
            item["exams"] = ["cpc", "cpc"]
            item["difficulty"] = "3"  # (lax: a number in a string)
            item["code_set_year"] = 2024.0
        if i % 7 == 0:
            item["case"] = "case-1"
        out.append(item)
    return out


LAYOUTS = {
    # as `certprep export` writes it
    "export": lambda doc: json.dumps(doc, ensure_ascii=False, indent=2),
    "compact": lambda doc: json.dumps(doc, separators=(",", ":")),
    "spaced": lambda doc: json.dumps(doc),  # (the choices are separated as the items are)
    "lines": lambda doc: _lines(doc, ",\n"),  # as the benchmark writes it
    "crlf": lambda doc: _lines(doc, ",\r\n\t"),
    "space-comma": lambda doc: _lines(doc, " ,\n"),
}
PLAIN = ("spaced", "space-comma")  # layouts the fast path leaves to the plain one


def _lines(doc: dict[str, Any], sep: str) -> str:
    items = doc.pop("items")
    return (
        json.dumps(doc)[:-1]
        + ', "items": [\n'
        + sep.join(json.dumps(it, ensure_ascii=False) for it in items)
        + "\n]}\n"
    )


def _write(path: Path, layout: str, items: list[dict[str, Any]], **head: Any) -> Path:
    doc = {
        "format": "certprep-bank/1",
        "name": "fast",
        "exams": ["cpc"],
        "code_set_year": 2025,
        "cases": [{"id": "case-1", "text": "A patient."}],
        **head,
        "items": items,
    }
    path.write_text("\ufeff" + LAYOUTS[layout](doc), encoding="utf-8")
    return path


def _read(path: Path, fast: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, ...]:
    """Everything the stream gives the importer: each batch's rows and problems, the
    checksum, and how many batches the fast path read."""
    monkeypatch.setattr(native_stream, "FAST", fast)
    stream = NativeJsonStream(path)
    stream.open()
    batches = [
        ([prepare(it, it.id) for it in items], problems) for items, problems in stream.batches()
    ]
    return batches, stream.items_seen, stream.checksum(), stream.fast_batches


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(native_stream, "BATCH", BATCH)


@pytest.mark.parametrize("chunk", [7, 1 << 20])
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_the_fast_path_reads_every_layout_as_the_plain_path_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_batches: None, layout: str, chunk: int
) -> None:
    monkeypatch.setattr(native_stream, "CHUNK", chunk)
    path = _write(tmp_path / "bank.json", layout, _items(4 * BATCH + 3))
    *plain, plain_fast = _read(path, False, monkeypatch)
    *fast, fast_batches = _read(path, True, monkeypatch)
    assert fast == plain
    assert plain_fast == 0
    rows = [r for batch, _ in plain[0] for r in batch]
    assert len(rows) == 4 * BATCH + 3 and not any(p for _, p in plain[0])
    assert json.loads(rows[3].payload)["exams"] == ["cpc"]  # (what validation did, both ways)
    assert "\x1b" not in rows[0].stem and rows[0].stem.startswith("Question 0")
    if chunk > 1000 and layout not in PLAIN:
        assert fast_batches >= 3  # the first batch learns the layout, the rest are fast


@pytest.mark.parametrize("layout", ["export", "lines"])
def test_a_file_with_problems_gets_the_same_messages_either_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_batches: None, layout: str
) -> None:
    items = _items(6 * BATCH)
    items[2 * BATCH + 1]["choices"][0]["correct"] = True  # two correct choices
    items[2 * BATCH + 1]["choices"][1]["correct"] = True
    items[3 * BATCH]["case"] = "case-9"  # a case the bank has not
    items[4 * BATCH + 2]["id"] = "fast-001"  # an id twice
    items[5 * BATCH + 1]["stem"] = ""
    path = _write(tmp_path / "bad.json", layout, items)
    *plain, _ = _read(path, False, monkeypatch)
    *fast, fast_batches = _read(path, True, monkeypatch)
    assert fast == plain and fast_batches >= 1
    messages = [str(p) for _, problems in plain[0] for p in problems]
    assert len(messages) == 4


def test_a_surrogate_escape_is_read_as_the_plain_path_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_batches: None
) -> None:
    """(pydantic-core refuses an unpaired surrogate escape that the stdlib reads)"""
    items = _items(3 * BATCH)
    path = _write(tmp_path / "s.json", "lines", items)
    text = path.read_text(encoding="utf-8-sig").replace("Question 9 ", "Question 9 \\ud800 ")
    path.write_text(text.replace("Question 10 ", "Question 10 \\ud83d\\ude00 "))
    *plain, _ = _read(path, False, monkeypatch)
    *fast, _ = _read(path, True, monkeypatch)
    assert fast == plain


@pytest.mark.parametrize("worker", [False, True])
def test_an_import_through_the_fast_path_stores_what_the_plain_path_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, worker: bool
) -> None:
    """The plain path in this process, the fast one here or in the worker process (which
    reads with its own batch size: the file has a few of those)."""
    monkeypatch.setattr(import_stream, "MAX_FILE_BYTES", 0)  # streamed at any size
    n = 2 * native_stream.BATCH + 5
    path = _write(tmp_path / "bank.json", "export", _items(n))
    tables = []
    for fast in (False, True):
        monkeypatch.setattr(native_stream, "FAST", fast)
        monkeypatch.setattr(native_worker, "WORKER_MIN_BYTES", 0 if fast and worker else 1 << 40)
        services = open_services(str(tmp_path / f"{fast}.db"))
        [summary] = import_files(services, [path])
        assert summary.added == n
        with services.engine.connect() as conn:
            tables.append([conn.execute(sa.text(sql)).all() for sql in _TABLES])
        services.engine.dispose()
    assert tables[0] == tables[1]


_TABLES = [
    "SELECT id, source_id, position, kind, section, case_id, content_hash, payload, retired"
    " FROM item ORDER BY id",
    "SELECT item_id, exam, section FROM item_exam ORDER BY item_id, exam",
    "SELECT item_id, topic FROM item_topic ORDER BY item_id, topic",
    "SELECT name, checksum, header FROM bank",
    "SELECT id, source_id, text FROM case_text ORDER BY id",
]


def test_a_problem_after_fast_batches_still_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_batches: None
) -> None:
    monkeypatch.setattr(import_stream, "MAX_FILE_BYTES", 0)
    items = _items(6 * BATCH)
    items[-2]["references"] = []
    path = _write(tmp_path / "bad.json", "lines", items)
    services = open_services(str(tmp_path / "c.db"))
    with pytest.raises(InputError, match="fast-022"):
        import_files(services, [path])
    with services.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM item")).scalar_one() == 0


@pytest.mark.parametrize("chunk", [7, 1 << 20])
def test_broken_json_after_fast_batches_names_the_same_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_batches: None, chunk: int
) -> None:
    monkeypatch.setattr(native_stream, "CHUNK", chunk)
    path = _write(tmp_path / "broken.json", "lines", _items(5 * BATCH))
    lines = path.read_text(encoding="utf-8").split("\n")  # (not at U+2028 in the text)
    at = next(i for i, line in enumerate(lines) if line.startswith('{"id": "fast-017"'))
    lines[at] = lines[at].replace('"section"', "section")
    path.write_text("\n".join(lines), encoding="utf-8")
    errors = []
    for fast in (False, True):
        with pytest.raises(InputError) as err:
            _read(path, fast, monkeypatch)
        errors.append(err.value.problems)
    assert errors[0] == errors[1]
    assert errors[0][0].line == at + 1 and "not valid JSON" in errors[0][0].message
