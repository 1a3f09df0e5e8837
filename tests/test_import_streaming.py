"""Native JSON banks imported as they stream: any size, bounded batches, all or nothing.

(The memory bound itself is shown by ``benchmarks/run.py --only import``: import_peak_mb.)
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

import certprep.banks.native_stream as native_stream
import certprep.banks.native_worker as native_worker
import certprep.services.import_stream as import_stream
from certprep.banks.formats import read_bank
from certprep.banks.formats._common import MAX_FILE_BYTES
from certprep.banks.native import dump_bank
from certprep.cli import app
from certprep.core.problems import InputError
from certprep.services import Services
from certprep.services.imports import import_files

from .conftest import make_bank

runner = CliRunner()
LONG = "A long rationale that explains the coding guideline behind the answer. " * 270


def _item(i: int, rationale: str = "Because.") -> dict[str, object]:
    return {
        "id": f"big-{i:05d}",
        "section": "icd10cm",
        "topics": [f"topic-{i % 7}"],
        "stem": f"Question {i}: which code is right here?",
        "choices": [
            {"key": k, "text": f"option {k} of {i}", "correct": k == "abcd"[i % 4]} for k in "abcd"
        ],
        "rationale": rationale,
        "references": ["Test reference"],
    }


def _write(path: Path, items: list[dict[str, object]], **head: object) -> Path:
    doc = {"format": "certprep-bank/1", "name": "big", "exams": ["cpc"], **head}
    with path.open("w", encoding="utf-8") as fh:
        fh.write(json.dumps(doc)[:-1] + ', "items": [')
        for i, item in enumerate(items):
            fh.write((",\n" if i else "\n") + json.dumps(item))
        fh.write("\n]}\n")
    return path


def _big(path: Path, bad_at: int | None = None) -> tuple[Path, int]:
    """A bank file over the old whole-file limit (long rationales), optionally with one broken
    item (two correct choices) at ``bad_at``."""
    n = MAX_FILE_BYTES // len(LONG) + 200
    items = [_item(i, LONG) for i in range(n)]
    if bad_at is not None:
        items[bad_at]["choices"][1]["correct"] = True  # type: ignore[index]
        items[bad_at]["choices"][0]["correct"] = True  # type: ignore[index]
    _write(path, items)
    assert path.stat().st_size > MAX_FILE_BYTES
    return path, n


def _counts(services: Services) -> tuple[int, int, int]:
    with services.engine.connect() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in ("bank", "item", "item_exam")
        )


def test_a_bank_file_over_the_old_size_limit_imports(services: Services, tmp_path) -> None:
    path, n = _big(tmp_path / "big.json")
    seen: list[tuple[int, int]] = []
    [summary] = import_files(services, [path], progress=lambda d, t: seen.append((d, t)))
    assert (summary.added, summary.bank) == (n, "big")
    assert _counts(services) == (1, n, n)
    with services.engine.connect() as conn:
        checksum = conn.execute(sa.text("SELECT checksum FROM bank")).scalar_one()
        last = conn.execute(
            sa.text("SELECT payload FROM item WHERE id = :i"), {"i": f"big-{n - 1:05d}"}
        ).scalar_one()
    assert checksum == hashlib.sha256(path.read_bytes()).hexdigest()
    assert json.loads(last)["rationale"] == LONG.strip()
    # the bar moves as batches are written and ends full
    assert len(seen) > 1 and seen[-1] == (n, n)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    # a second import of the same file changes nothing
    [again] = import_files(services, [path])
    assert (again.added, again.updated, again.unchanged) == (0, 0, n)


def test_a_bad_item_at_the_end_of_a_big_file_writes_nothing(tmp_path) -> None:
    path, n = _big(tmp_path / "big.json", bad_at=-2)
    db = tmp_path / "c.db"
    result = runner.invoke(app, ["--db", str(db), "import", str(path)])
    assert result.exit_code == 2, result.output
    assert f"big-{n - 2:05d}" in result.output and "exactly one correct choice" in result.output
    assert "Traceback" not in result.output
    # nothing of the file was kept, though the batches before the bad item were written
    result = runner.invoke(app, ["--db", str(db), "banks", "list"])
    assert "big" not in result.output


@pytest.fixture(params=["here", "worker"])
def tiny_pieces(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    """Stream files of any size (no fallback to the whole-file reader), read in this process
    7 bytes at a time, 3 items a batch (every cut a real file's megabytes could make, made
    often), or in the worker process that reads large files (its pieces as they are)."""
    monkeypatch.setattr(native_stream, "CHUNK", 7)
    monkeypatch.setattr(native_stream, "BATCH", 3)
    monkeypatch.setattr(import_stream, "MAX_FILE_BYTES", 0)
    if request.param == "worker":
        monkeypatch.setattr(native_worker, "WORKER_MIN_BYTES", 0)


@pytest.mark.parametrize("chunk", [1, 3, 7])
def test_items_cut_anywhere_are_read_as_the_whole_file_reader_reads_them(
    services: Services, tmp_path, tiny_pieces: None, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(native_stream, "CHUNK", chunk)
    doc = json.loads(dump_bank(make_bank(20, case_every=4), as_json=True))
    doc = {"code_set_year": 2025, **doc}  # first: read a byte at a time, not far ahead
    for i, item in enumerate(doc["items"]):  # numbers, which a cut could shorten unseen
        item["difficulty"] = i % 5 + 1
        item["rationale"] = "Bécause ✓ 12"  # several bytes a character
    path = tmp_path / "gen.json"
    path.write_text("\ufeff" + json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    [summary] = import_files(services, [path])
    assert summary.added == 20
    expected = read_bank(path).bank
    with services.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, payload, case_id FROM item ORDER BY position"))
        stored = {r.id: (json.loads(r.payload), r.case_id) for r in rows}
        cases = conn.execute(sa.text("SELECT count(*) FROM case_text")).scalar_one()
    assert cases == 5
    for item in expected.items:
        payload, case = stored[item.id]
        assert payload == json.loads(item.model_dump_json(exclude_none=True))
        assert case == item.case
        assert payload["code_set_year"] == 2025  # the header's, read in pieces too


def test_every_problem_of_a_streamed_file_is_reported_and_nothing_written(
    services: Services, tmp_path, tiny_pieces: None
) -> None:
    items = [_item(i) for i in range(12)]
    items[1]["stem"] = ""
    items[10]["exams"] = ["cpx"]
    items[11]["section"] = "surgery"
    path = _write(tmp_path / "bad.json", items)
    with pytest.raises(InputError) as err:
        import_files(services, [path])
    text = str(err.value)
    assert "big-00001" in text and "stem" in text
    assert "unknown exam 'cpx'" in text and "big-00010" in text
    assert "'surgery' is not in the cpc blueprint" in text and "big-00011" in text
    assert _counts(services)[:2] == (0, 0)


def test_an_id_twice_in_different_batches_is_refused(
    services: Services, tmp_path, tiny_pieces: None
) -> None:
    items = [_item(i) for i in range(10)]
    items[9]["id"] = "big-00001"
    path = _write(tmp_path / "twice.json", items)
    with pytest.raises(InputError, match="item id 'big-00001' appears twice"):
        import_files(services, [path])
    assert _counts(services)[:2] == (0, 0)


def test_broken_json_names_the_line(services: Services, tmp_path, tiny_pieces: None) -> None:
    path = _write(tmp_path / "broken.json", [_item(i) for i in range(6)])
    lines = path.read_text().splitlines()
    lines[5] = lines[5].replace('"section"', "section")
    path.write_text("\n".join(lines))
    with pytest.raises(InputError) as err:
        import_files(services, [path])
    assert "broken.json:6" in str(err.value) and "not valid JSON" in str(err.value)
    assert _counts(services)[:2] == (0, 0)


def test_a_small_file_with_a_problem_is_reported_as_the_whole_file_reader_does(
    services: Services, tmp_path
) -> None:
    items = [_item(i) for i in range(5)]
    items[3]["references"] = []
    path = _write(tmp_path / "small.json", items)
    with pytest.raises(InputError) as streamed:
        import_files(services, [path])
    with pytest.raises(InputError) as whole:
        read_bank(path)
    assert streamed.value.problems == whole.value.problems


def test_items_must_come_last_in_a_file_too_big_to_read_whole(
    services: Services, tmp_path, tiny_pieces: None
) -> None:
    path = tmp_path / "late.json"
    path.write_text(json.dumps({"name": "late", "items": [_item(0)], "exams": ["cpc"]}))
    with pytest.raises(InputError, match="'items' must be its last key"):
        import_files(services, [path])


def test_a_big_file_of_another_format_says_how_to_import_it(
    services: Services, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import certprep.banks.formats._common as common

    monkeypatch.setattr(common, "MAX_FILE_BYTES", 10)
    path = tmp_path / "big.yaml"
    path.write_text(dump_bank(make_bank(2)))
    with pytest.raises(InputError, match="imports as native JSON on its own"):
        import_files(services, [path])


def test_a_worker_that_cannot_run_leaves_the_import_to_this_process(
    services: Services, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess
    import sys

    def broken(path: Path) -> subprocess.Popen[bytes]:  # a worker that dies at once
        return subprocess.Popen(
            [sys.executable, "-c", "raise SystemExit(3)"], stdout=subprocess.PIPE
        )

    monkeypatch.setattr(native_worker, "WORKER_MIN_BYTES", 0)
    monkeypatch.setattr(native_worker, "_start_worker", broken)
    path = _write(tmp_path / "b.json", [_item(i) for i in range(5)])
    [summary] = import_files(services, [path])
    assert summary.added == 5 and _counts(services)[:2] == (1, 5)
