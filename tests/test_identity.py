"""Ids belong to their bank: two banks may both have a "Q1" and a case "C1" (issue 17).

Questions without ids keep their identity through an edit; a file imported under another name
does not double a bank; a question that nearly repeats another bank's is named in a warning.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from certprep.banks.importer import remove_bank
from certprep.banks.native import load_bank_text
from certprep.cli import app
from certprep.core.models import Bank
from certprep.core.problems import InputError
from certprep.core.scheduling import Rating
from certprep.services import Services
from certprep.services.cards import CardBrowser
from certprep.services.imports import bank_from_store, import_files
from certprep.services.review import ReviewSession
from certprep.store.tables import BANK, CARD, CASE, ITEM, REVIEW_LOG

pytestmark = pytest.mark.both_backends

runner = CliRunner()


def _native(name: str, stem: str, case_text: str, answer: str = "I10") -> str:
    return f"""format: certprep-bank/1
name: {name}
version: "1"
exams: [cpc]
cases:
  - id: C1
    text: {case_text}
items:
  - id: Q1
    section: icd10cm
    case: C1
    stem: {stem}
    choices:
      - {{key: a, text: {answer}, correct: true}}
      - {{key: b, text: I11.9}}
    rationale: Because.
    references: [ICD-10-CM]
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _two_banks(services: Services, tmp_path: Path) -> tuple[Path, Path]:
    a = _write(tmp_path, "a.yaml", _native("bank-a", "Bank A asks about HTN?", "Case of bank A."))
    b = _write(
        tmp_path,
        "b.yaml",
        _native("bank-b", "Bank B asks about diabetes?", "Case of bank B.", answer="E11.9"),
    )
    import_files(services, [a])
    return a, b


def _db_args(services: Services) -> list[str]:
    """``--db`` for the command line, on the test's database (SQLite file or server URL)."""
    if services.engine.dialect.name == "sqlite":
        return ["--db", str(services.engine.url.database)]
    return ["--db", services.engine.url.render_as_string(hide_password=False)]


def _rows(services: Services, bank: str) -> list[sa.Row]:
    with services.engine.connect() as conn:
        return conn.execute(
            sa.select(ITEM.c.id, ITEM.c.source_id, ITEM.c.retired, ITEM.c.case_id, ITEM.c.payload)
            .join(BANK, BANK.c.id == ITEM.c.bank_id)
            .where(BANK.c.name == bank)
        ).all()


def _review(services: Services, item_id: str, rating: Rating = Rating.GOOD) -> None:
    session = ReviewSession(services)
    session.rate(session.load_card(item_id), rating)


def _logs(services: Services, item_id: str) -> list[int]:
    with services.engine.connect() as conn:
        return [
            r.rating
            for r in conn.execute(
                sa.select(REVIEW_LOG.c.rating)
                .where(REVIEW_LOG.c.item_id == item_id)
                .order_by(REVIEW_LOG.c.id)
            )
        ]


def _case_text(services: Services, case_id: str) -> str | None:
    with services.engine.connect() as conn:
        return conn.execute(sa.select(CASE.c.text).where(CASE.c.id == case_id)).scalar()


# ---------------------------------------------------------------------------- ids per bank


def test_two_banks_with_the_same_ids_keep_both_questions_and_their_own_histories(
    services: Services, tmp_path: Path
) -> None:
    _, b = _two_banks(services, tmp_path)
    [a_row] = _rows(services, "bank-a")
    _review(services, a_row.id, Rating.AGAIN)
    [summary] = import_files(services, [b])
    assert summary.added == 1 and summary.skipped == 0
    [b_row] = _rows(services, "bank-b")
    assert (a_row.id, a_row.source_id) == ("Q1", "Q1")  # the first bank's id, shown unchanged
    assert b_row.source_id == "Q1" and b_row.id != "Q1"
    assert b_row.payload["stem"] == "Bank B asks about diabetes?"
    assert _rows(services, "bank-a")[0].payload["stem"] == "Bank A asks about HTN?"
    _review(services, b_row.id, Rating.EASY)
    assert _logs(services, a_row.id) == [Rating.AGAIN]
    assert _logs(services, b_row.id) == [Rating.EASY]
    # each bank's case is its own
    assert _case_text(services, a_row.case_id) == "Case of bank A."
    assert _case_text(services, b_row.case_id) == "Case of bank B."
    # `cards id:Q1` finds both banks' Q1; the bank's own id comes back on export
    browser = CardBrowser(services)
    page = browser.search(browser.parse("id:Q1"), limit=10)
    assert sorted(r.item_id for r in page.rows) == sorted([a_row.id, b_row.id])
    exported = bank_from_store(services, "bank-b")
    assert [(i.id, i.case) for i in exported.items] == [("Q1", "C1")]
    assert [c.id for c in exported.cases] == ["C1"]
    assert exported.items[0].stem == "Bank B asks about diabetes?"


def test_on_duplicate_update_in_bank_b_never_touches_bank_a(
    services: Services, tmp_path: Path
) -> None:
    db = _db_args(services)
    _, b = _two_banks(services, tmp_path)
    [a_row] = _rows(services, "bank-a")
    _review(services, a_row.id)
    for _ in range(2):  # and again: a re-import of bank B stays in bank B
        result = runner.invoke(app, [*db, "import", str(b), "--on-duplicate", "update"])
        assert result.exit_code == 0, result.output
    assert "bank-b: imported 1 items — 0 updated, 0 new, 1 unchanged" in result.output
    [after] = _rows(services, "bank-a")
    assert (after.id, after.retired) == (a_row.id, False)
    assert after.payload == a_row.payload
    assert _logs(services, a_row.id) == [Rating.GOOD]
    assert _case_text(services, a_row.case_id) == "Case of bank A."
    assert len(_rows(services, "bank-b")) == 1


def test_removing_bank_b_leaves_bank_a_its_case_and_history(
    services: Services, tmp_path: Path
) -> None:
    _, b = _two_banks(services, tmp_path)
    [a_row] = _rows(services, "bank-a")
    _review(services, a_row.id)
    import_files(services, [b])
    [b_row] = _rows(services, "bank-b")
    _review(services, b_row.id)
    assert remove_bank(services.engine, "bank-b") == 1
    assert _case_text(services, a_row.case_id) == "Case of bank A."
    assert bank_from_store(services, "bank-a").cases[0].text == "Case of bank A."
    assert _logs(services, a_row.id) == [Rating.GOOD]
    assert _logs(services, b_row.id) == []
    # and bank B comes back beside A, not on top of it
    import_files(services, [b])
    assert _rows(services, "bank-a")[0].payload["stem"] == "Bank A asks about HTN?"


# ---------------------------------------------------------------------------- files without ids

AIKEN = """Which code reports essential hypertension?
A. I10
B. I11.9
ANSWER: A

Which suffix means surgical removal?
A. -otomy
B. -ectomy
ANSWER: B

Which prefix means below or under?
A. hypo-
B. hyper-
ANSWER: A
"""


def test_an_aiken_typo_fix_updates_the_question_and_keeps_its_history(
    services: Services, tmp_path: Path
) -> None:
    quiz = _write(tmp_path, "quiz.txt", AIKEN.replace("surgical", "surgicle"))
    import_files(services, [quiz], bank_name="quiz")
    [typo] = [r for r in _rows(services, "quiz") if "surgicle" in r.payload["stem"]]
    _review(services, typo.id, Rating.HARD)
    _review(services, typo.id, Rating.GOOD)
    quiz.write_text(AIKEN)  # the typo fixed
    [summary] = import_files(services, [quiz], bank_name="quiz")
    assert (summary.updated, summary.added, summary.unchanged, summary.retired) == (1, 0, 2, 0)
    assert "1 updated, 0 new, 2 unchanged, 0 retired" in summary.line()
    rows = {r.id: r for r in _rows(services, "quiz")}
    assert len(rows) == 3 and not any(r.retired for r in rows.values())
    fixed = rows[typo.id]  # the same question, reworded
    assert fixed.payload["stem"] == "Which suffix means surgical removal?"
    assert _logs(services, typo.id) == [Rating.HARD, Rating.GOOD]
    with services.engine.connect() as conn:
        assert (
            conn.execute(sa.select(CARD.c.reps).where(CARD.c.item_id == typo.id)).scalar_one() == 2
        )
    # imported again as it is now: nothing changes
    [again] = import_files(services, [quiz], bank_name="quiz")
    assert (again.updated, again.added, again.unchanged, again.retired) == (0, 0, 3, 0)


def test_a_new_question_is_not_taken_for_an_edit(services: Services, tmp_path: Path) -> None:
    quiz = _write(tmp_path, "quiz.txt", AIKEN)
    import_files(services, [quiz], bank_name="quiz")
    replaced = AIKEN.replace(
        "Which prefix means below or under?\nA. hypo-\nB. hyper-\nANSWER: A",
        "Which code reports type 2 diabetes without complications?\nA. E11.9\nB. E10.9\nANSWER: A",
    )
    quiz.write_text(replaced)
    [summary] = import_files(services, [quiz], bank_name="quiz")
    assert (summary.updated, summary.added, summary.unchanged, summary.retired) == (0, 1, 2, 1)


GIFT = """::Q1:: Which code reports essential hypertension? {=I10 ~I11.9}

Which suffix means surgical removal? {=-ectomy ~-otomy}
"""


def test_the_same_gift_file_under_two_names_does_not_double_the_bank(
    services: Services, tmp_path: Path
) -> None:
    first = _write(tmp_path, "week1.gift", GIFT)
    renamed = _write(tmp_path, "week1 (copy).gift", GIFT)
    import_files(services, [first], bank_name="group")
    [summary] = import_files(services, [renamed], bank_name="group")
    assert (summary.added, summary.retired) == (0, 0)
    assert len([r for r in _rows(services, "group") if not r.retired]) == 2


# ---------------------------------------------------------------------------- near duplicates


def test_a_near_duplicate_of_another_banks_question_is_named(
    services: Services, tmp_path: Path
) -> None:
    db = _db_args(services)
    _two_banks(services, tmp_path)
    near = _write(
        tmp_path,
        "mine.txt",
        "Bank A asks about HTN!\nA. I10\nB. I11.9\nANSWER: A\n\n"
        "Something else entirely, about anatomy?\nA. Femur\nB. Ulna\nANSWER: B\n",
    )
    result = runner.invoke(app, [*db, "import", str(near), "--bank", "mine"])
    assert result.exit_code == 0, result.output  # a warning, not a refusal
    [mine] = [r for r in _rows(services, "mine") if "HTN" in r.payload["stem"]]
    assert f"question {mine.id} nearly repeats question Q1 of bank bank-a" in result.output
    assert result.output.count("nearly repeats") == 1
    assert len(_rows(services, "mine")) == 2


# ---------------------------------------------------------------------------- several files


def test_several_files_into_one_bank_are_one_import_all_or_nothing(
    services: Services, tmp_path: Path
) -> None:
    good = _write(tmp_path, "week1.txt", AIKEN)
    bad = _write(tmp_path, "week2.txt", "Which is it?\nA. this\nB. that\nANSWER: Z\n")
    with pytest.raises(InputError):
        import_files(services, [good, bad], bank_name="group")
    with services.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(ITEM)).scalar_one() == 0
    bad.write_text("Which prefix means above?\nA. hyper-\nB. hypo-\nANSWER: A\n")
    [summary] = import_files(services, [good, bad], bank_name="group")
    assert (summary.added, summary.retired) == (4, 0)
    [again] = import_files(services, [good, bad], bank_name="group")
    assert (again.unchanged, again.retired) == (4, 0)  # the second file never retires the first


def test_native_bank_round_trip_keeps_its_ids_beside_a_bank_using_them(
    services: Services, tmp_path: Path
) -> None:
    _, b = _two_banks(services, tmp_path)
    import_files(services, [b])
    original = load_bank_text(b.read_text(), "b")
    assert bank_from_store(services, "bank-b") == original


# ---------------------------------------------------------------------------- the migration


def test_a_database_from_before_0006_keeps_its_history_and_takes_a_bank_with_the_same_ids(
    services: Services, tmp_path: Path
) -> None:
    from alembic import command

    from certprep.store.engine import writing
    from certprep.store.migrate import HEAD, alembic_config, current_revision, ensure_schema

    _, b = _two_banks(services, tmp_path)
    [a_row] = _rows(services, "bank-a")
    _review(services, a_row.id, Rating.HARD)
    engine = services.engine

    def history() -> tuple[list, list]:
        with engine.connect() as conn:
            cards = conn.execute(sa.select(CARD.c.item_id, CARD.c.reps, CARD.c.due)).all()
            logs = conn.execute(sa.select(REVIEW_LOG.c.item_id, REVIEW_LOG.c.rating)).all()
        return cards, logs

    before = history()
    cfg = alembic_config(engine)
    with writing(engine) as conn:  # the database as certprep wrote it before ids had banks
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0005_perf_indexes")
    with engine.connect() as conn:
        assert "source_id" not in {c["name"] for c in sa.inspect(conn).get_columns("item")}
    assert ensure_schema(engine) == HEAD == current_revision(engine)
    assert history() == before
    [row] = _rows(services, "bank-a")
    assert (row.id, row.source_id, row.payload) == ("Q1", "Q1", a_row.payload)
    with engine.connect() as conn:
        assert conn.execute(sa.select(CASE.c.source_id)).scalars().all() == ["C1"]
    [summary] = import_files(services, [b])  # a second bank with the same ids, beside it
    assert summary.added == 1
    assert [r.source_id for r in _rows(services, "bank-b")] == ["Q1"]
    assert _logs(services, "Q1") == [Rating.HARD]


def test_the_same_file_under_another_name_goes_into_its_bank_without_doubling(
    services: Services, tmp_path: Path
) -> None:
    db = _db_args(services)
    first = _write(tmp_path, "week1.txt", AIKEN)
    renamed = _write(tmp_path, "week1 (1).txt", AIKEN)
    assert runner.invoke(app, [*db, "import", str(first)]).exit_code == 0
    result = runner.invoke(app, [*db, "import", str(renamed)])
    assert result.exit_code == 0, result.output
    assert "its questions are those of bank 'week1'" in result.output
    assert "week1: imported 3 items — 3 updated, 0 new, 0 unchanged, 0 retired" in result.output
    with services.engine.connect() as conn:
        names = conn.execute(sa.select(BANK.c.name).where(BANK.c.origin == "import"))
        assert names.scalars().all() == ["week1"]
    assert len(_rows(services, "week1")) == 3
    # a file sharing a question or two with a bank is a bank of its own
    other = _write(tmp_path, "mixed.txt", AIKEN.split("\n\n")[0] + "\n\n" + GIFT_AS_AIKEN)
    [summary] = import_files(services, [other])
    assert summary.bank == "mixed" and summary.added == 3
    assert len(_rows(services, "week1")) == 3 and not any(
        r.retired for r in _rows(services, "week1")
    )


GIFT_AS_AIKEN = """Which code reports hypertensive heart disease without heart failure?
A. I11.9
B. I10
ANSWER: A

Which suffix means inflammation?
A. -itis
B. -osis
ANSWER: A
"""


def test_a_shipped_question_moved_to_another_shipped_file_keeps_its_row_never_a_learners(
    services: Services, tmp_path: Path
) -> None:
    from certprep.banks.importer import import_bank

    def bank(name: str, stem: str, with_q1: bool = True) -> Bank:
        text = _native(name, stem, f"Case of {name}.")
        if not with_q1:
            text = text.replace("id: Q1", "id: Q2")
        return load_bank_text(text, name)

    import_bank(services.engine, bank("ship-a", "Shipped HTN?"), checksum="1", origin="bundled")
    _review(services, "Q1", Rating.GOOD)
    # the next version moves Q1 from ship-a's file to ship-b's
    import_bank(services.engine, bank("ship-b", "Shipped HTN?"), checksum="2", origin="bundled")
    import_bank(
        services.engine, bank("ship-a", "Other?", with_q1=False), checksum="3", origin="bundled"
    )
    [row] = _rows(services, "ship-b")
    assert (row.id, row.retired) == ("Q1", False)
    assert _logs(services, "Q1") == [Rating.GOOD]
    # a learner's bank with a Q1 is its own; a shipped bank never takes it
    user = _write(tmp_path, "mine.yaml", _native("mine", "My own question?", "My case."))
    import_files(services, [user])
    [mine] = _rows(services, "mine")
    import_bank(services.engine, bank("ship-c", "Shipped HTN?"), checksum="4", origin="bundled")
    assert [(r.id, r.retired) for r in _rows(services, "mine")] == [(mine.id, False)]
    assert [r.id for r in _rows(services, "ship-c")] == ["Q1"]  # moved on, from ship-b


def test_an_anki_deck_under_another_file_name_updates_its_notes_and_keeps_one_history(
    services: Services, tmp_path: Path
) -> None:
    from .anki_decks import build_deck

    deck = build_deck()  # made by the `anki` library, as Anki itself writes it
    first, renamed = tmp_path / "CPC terms.apkg", tmp_path / "CPC terms (2).apkg"
    first.write_bytes(deck.new)
    renamed.write_bytes(deck.new)
    place = {"exam": "cpc", "section": "terminology", "with_history": True}
    [a] = import_files(services, [first], **place)  # type: ignore[arg-type]
    with services.engine.connect() as conn:
        counts = [
            conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in (ITEM, CARD, REVIEW_LOG)
        ]
    [b] = import_files(services, [renamed], **place)  # type: ignore[arg-type]
    assert a.bank == b.bank and (b.added, b.retired) == (0, 0)
    assert b.updated + b.unchanged == a.added
    with services.engine.connect() as conn:
        again = [
            conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in (ITEM, CARD, REVIEW_LOG)
        ]
    assert again == counts  # the same notes, their history once
