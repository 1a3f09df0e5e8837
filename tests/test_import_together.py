"""Several files, one bank; exams that exist; nothing half-written, nothing left behind."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from certprep.banks import importer
from certprep.cli import app
from certprep.core.problems import InputError
from certprep.services import Services
from certprep.services import imports as imports_mod
from certprep.services.imports import import_files
from certprep.store.tables import BANK, ITEM, ITEM_EXAM

pytestmark = pytest.mark.both_backends

runner = CliRunner()

AIKEN_1 = """Which code is essential hypertension?
A. I10
B. I11.9
ANSWER: A

Which suffix means removal?
A. -otomy
B. -ectomy
ANSWER: B
"""
AIKEN_2 = """Which prefix means below?
A. hypo-
B. hyper-
ANSWER: A
"""


def _files(tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "week1.txt", tmp_path / "week2.txt"
    a.write_text(AIKEN_1)
    b.write_text(AIKEN_2)
    return a, b


def _live(services: Services, bank: str) -> list[str]:
    with services.engine.connect() as conn:
        return [
            r.payload["stem"]
            for r in conn.execute(
                sa.select(ITEM.c.payload)
                .join(BANK, BANK.c.id == ITEM.c.bank_id)
                .where(BANK.c.name == bank, ITEM.c.retired.is_(False))
                .order_by(ITEM.c.position)
            )
        ]


def test_several_files_into_one_bank_keep_every_question(
    services: Services, tmp_path: Path
) -> None:
    a, b = _files(tmp_path)
    [summary] = import_files(services, [a, b], bank_name="study-group")
    assert summary.added == 3 and summary.retired == 0
    assert _live(services, "study-group") == [
        "Which code is essential hypertension?",
        "Which suffix means removal?",
        "Which prefix means below?",
    ]
    [again] = import_files(services, [a, b], bank_name="study-group")
    assert (again.unchanged, again.retired) == (3, 0)


def test_a_database_error_on_the_second_file_writes_nothing(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = _files(tmp_path)
    real = importer.import_bank_into
    calls = []

    def failing(conn, bank, **kw):  # type: ignore[no-untyped-def]
        calls.append(bank.name)
        if len(calls) == 2:
            raise sa.exc.OperationalError("INSERT", {}, Exception("disk I/O error"))
        return real(conn, bank, **kw)

    monkeypatch.setattr(imports_mod, "import_bank_into", failing)
    with pytest.raises(sa.exc.OperationalError):
        import_files(services, [a, b])  # two banks: week1 and week2
    assert calls == ["week1", "week2"]
    with services.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(BANK)).scalar_one() == 0


def test_an_unknown_exam_is_refused_with_the_valid_list(services: Services, tmp_path: Path) -> None:
    a, _ = _files(tmp_path)
    with pytest.raises(InputError) as info:
        import_files(services, [a], exam="cpcc", section="terminology")
    assert "unknown exam 'cpcc' (--exam); expected one of: ccs, cpb, cpc, own" in str(info.value)
    rows = tmp_path / "rows.csv"
    rows.write_text("question,back,exam,section\nHTN,Hypertension,cbp,claims_billing\n")
    with pytest.raises(InputError, match="unknown exam 'cbp'; expected one of: ccs, cpb, cpc, own"):
        import_files(services, [rows])


def test_reimporting_never_moves_items_to_another_exam_unless_asked(
    services: Services, tmp_path: Path
) -> None:
    a, _ = _files(tmp_path)
    import_files(services, [a], exam="cpc", section="terminology")
    [summary] = import_files(services, [a], exam="cpb", section="coding")
    assert summary.unchanged == 2
    assert "2 items already here keep their exam and section" in str(summary.warnings)

    def places() -> set[tuple[str, str]]:
        with services.engine.connect() as conn:
            return {(r.exam, r.section) for r in conn.execute(sa.select(ITEM_EXAM))}

    assert places() == {("cpc", "terminology")}
    import_files(services, [a], exam="cpb", section="coding", reassign=True)
    assert places() == {("cpb", "coding")}


def test_a_deck_with_no_exam_goes_to_the_own_deck(services: Services, tmp_path: Path) -> None:
    deck = tmp_path / "quizlet.txt"
    deck.write_text("-ectomy\tSurgical removal\n-itis\tInflammation\n")
    [summary] = import_files(services, [deck])
    assert summary.by_exam == {"own": {"deck": 2}}


def test_a_failed_import_leaves_no_database_behind(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text('question,back\n"never closed,x\n')
    db = tmp_path / "fresh" / "certprep.db"
    result = runner.invoke(app, ["--db", str(db), "import", str(bad)])
    assert result.exit_code == 2, result.output
    assert "never closed" in result.output
    assert not db.exists() and not list(db.parent.glob("certprep.db*"))


def test_unknown_exam_on_the_command_line_exits_2(tmp_path: Path) -> None:
    a, _ = _files(tmp_path)
    result = runner.invoke(
        app, ["--db", str(tmp_path / "c.db"), "import", str(a), "--exam", "cpcc"]
    )
    assert result.exit_code == 2
    assert "unknown exam 'cpcc' (--exam); expected one of: ccs, cpb, cpc, own" in result.output


def test_export_of_only_flashcards_to_gift_exits_2_and_csv_names_its_losses(
    tmp_path: Path,
) -> None:
    deck = tmp_path / "quizlet.txt"
    deck.write_text("-ectomy\tSurgical removal\n-itis\tInflammation\n")
    db = ["--db", str(tmp_path / "c.db")]
    assert runner.invoke(app, [*db, "import", str(deck), "--bank", "terms"]).exit_code == 0
    result = runner.invoke(app, [*db, "export", "terms", "--format", "gift"])
    assert result.exit_code == 2
    assert "nothing to export: all 2 items of bank 'terms' are flashcards" in result.output
    out = tmp_path / "terms.csv"
    result = runner.invoke(app, [*db, "export", "terms", "--format", "csv", "-o", str(out)])
    assert result.exit_code == 0
    assert "note: terms: not carried by csv: the bank's title, source" in result.output
    assert "Surgical removal" in out.read_text(encoding="utf-8-sig")


def test_encoding_option_reads_a_windows_file_and_dry_run_leaves_no_database(
    tmp_path: Path,
) -> None:
    f = tmp_path / "excel.csv"
    f.write_bytes("question,back\nCafé au lait spots suggest?,Neurofibromatosis\n".encode("cp1252"))
    db = tmp_path / "new.db"
    refused = runner.invoke(app, ["--db", str(db), "import", str(f), "--dry-run"])
    assert (
        refused.exit_code == 2 and "excel.csv:2: byte 17 (0xe9) is not UTF-8 text" in refused.output
    )
    ok = runner.invoke(
        app, ["--db", str(db), "import", str(f), "--dry-run", "--encoding", "cp1252"]
    )
    assert ok.exit_code == 0, ok.output
    assert "would import 1 items" in ok.output and "dry run: nothing was written" in ok.output
    assert not db.exists()
