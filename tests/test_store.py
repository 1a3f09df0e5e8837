"""The store keeps what it is given: banks, items, cards, logs, per learner."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from certprep.banks.importer import import_bank
from certprep.banks.native import load_bank
from certprep.core.models import Item
from certprep.services import Services, open_services
from certprep.store.engine import database_url, make_engine
from certprep.store.tables import CardRow, ItemRow

from .conftest import DATA

pytestmark = pytest.mark.both_backends


@pytest.mark.sqlite_only
def test_sqlite_pragmas_are_on(services: Services) -> None:
    with services.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL


def test_a_plain_path_means_sqlite(tmp_path) -> None:
    assert database_url(tmp_path / "x.db") == f"sqlite:///{tmp_path / 'x.db'}"
    assert database_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"


def test_item_round_trip(sample_services: Services) -> None:
    bank = load_bank(DATA / "sample_bank.yaml")
    with sample_services.engine.connect() as conn:
        rows = conn.execute(sa.select(ItemRow.__table__).order_by(ItemRow.position)).all()
    assert [r.id for r in rows] == [it.id for it in bank.items]
    for row, item in zip(rows, bank.items, strict=True):
        assert Item.model_validate(row.payload) == item


def test_reimport_changes_nothing_and_edit_keeps_id(sample_services: Services) -> None:
    bank = load_bank(DATA / "sample_bank.yaml")
    again = import_bank(sample_services.engine, bank, checksum="sample")
    assert (again.added, again.updated, again.unchanged) == (0, 0, 5)
    bank.items[0].stem = "Reworded: which codes are reported?"
    edited = import_bank(sample_services.engine, bank, checksum="sample2")
    assert (edited.added, edited.updated, edited.unchanged) == (0, 1, 4)
    with sample_services.engine.connect() as conn:
        payload = conn.execute(
            sa.select(ItemRow.payload).where(ItemRow.id == "sample-001")
        ).scalar_one()
    assert payload["stem"].startswith("Reworded")


def test_items_dropped_from_a_bank_are_retired_not_deleted(sample_services: Services) -> None:
    bank = load_bank(DATA / "sample_bank.yaml")
    bank.items = bank.items[1:]
    summary = import_bank(sample_services.engine, bank, checksum="fewer")
    assert summary.retired == 1
    assert sample_services.stats()["items"] == 4
    with sample_services.engine.connect() as conn:
        assert conn.execute(
            sa.select(ItemRow.retired).where(ItemRow.id == "sample-001")
        ).scalar_one()


def test_dry_run_writes_nothing(services: Services) -> None:
    bank = load_bank(DATA / "sample_bank.yaml")
    summary = import_bank(services.engine, bank, checksum="x", dry_run=True)
    assert summary.added == 5
    assert services.stats()["items"] == 0
    assert services.banks() == []


def test_card_datetimes_come_back_as_utc(sample_services: Services) -> None:
    due = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    lid = sample_services.learner_id
    with sample_services.engine.begin() as conn:
        conn.execute(
            sa.insert(CardRow.__table__).values(
                learner_id=lid,
                item_id="sample-002",
                state=2,
                stability=3.5,
                difficulty=5.0,
                due=due,
                reps=1,
            )
        )
    with sample_services.engine.connect() as conn:
        row = conn.execute(sa.select(CardRow.__table__)).one()
    assert row.due == due and row.due.tzinfo is not None


def test_learners_are_separate(sample_services: Services, db_path) -> None:
    lid = sample_services.learner_id
    with sample_services.engine.begin() as conn:
        conn.execute(
            sa.insert(CardRow.__table__).values(
                learner_id=lid, item_id="sample-002", state=3, due=datetime(2020, 1, 1, tzinfo=UTC)
            )
        )
    assert sample_services.stats()["cards"]["relearning"] == 1
    other = open_services(str(db_path), "someone-else")
    assert other.stats()["cards"]["relearning"] == 0
    assert other.stats()["items"] == 5


def test_no_engine_at_import_time() -> None:
    import certprep.store.engine as engine_mod

    assert not any(isinstance(v, sa.engine.Engine) for v in vars(engine_mod).values())
    e = make_engine("sqlite://")
    assert e.dialect.name == "sqlite"
