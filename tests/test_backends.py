"""What differs between SQLite and PostgreSQL is handled by the store: these run on both.

`pytest --backend postgresql` runs them (and every `both_backends` module) on a PostgreSQL
database made fresh for each test; see the backend fixtures in conftest.py.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from certprep.banks.importer import import_bank
from certprep.core.models import Bank
from certprep.services import Services, open_services
from certprep.services.errors import database_message
from certprep.services.imports import bank_from_store
from certprep.store.engine import database_url, writing
from certprep.store.migrate import HEAD, SchemaError, current_revision
from certprep.store.tables import BANK, CARD, CASE, ITEM, ITEM_TOPIC, LEARNER, REVIEW_LOG

from .conftest import make_bank

pytestmark = pytest.mark.both_backends


def test_the_migrations_build_exactly_the_models_here(services: Services) -> None:
    assert current_revision(services.engine) == HEAD
    with services.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, SQLModel.metadata)
    assert diff == []


def test_a_newer_schema_is_refused_and_left_alone(services: Services, db_path) -> None:
    with writing(services.engine) as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaError, match="newer certprep"):
        open_services(str(db_path))
    assert current_revision(services.engine) == "9999"


def test_writers_take_turns(services: Services) -> None:
    """One write transaction at a time, as the services assume: the second waits its turn."""
    _ = services.learner_id
    events: list[str] = []
    started = threading.Event()

    def second_writer() -> None:
        started.set()
        with writing(services.engine) as conn:
            events.append("second in")
            conn.execute(sa.update(LEARNER).values(settings={"by": "second"}))

    with writing(services.engine) as conn:
        conn.execute(sa.update(LEARNER).values(settings={"by": "first"}))
        t = threading.Thread(target=second_writer)
        t.start()
        started.wait(5)
        time.sleep(0.4)
        events.append("first out")
    t.join(15)
    assert events == ["first out", "second in"]
    with services.engine.connect() as conn:
        assert conn.execute(sa.select(LEARNER.c.settings)).scalar_one() == {"by": "second"}


def test_the_same_new_profile_opened_twice_at_once_is_one_learner(
    services: Services, db_path
) -> None:
    others = [open_services(str(db_path), "twin") for _ in range(4)]
    barrier = threading.Barrier(len(others))
    ids: list[int] = []
    errors: list[BaseException] = []

    def open_profile(s: Services) -> None:
        try:
            barrier.wait(5)
            ids.append(s.learner_id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_profile, args=(s,)) for s in others]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert errors == []
    assert len(set(ids)) == 1
    with services.engine.connect() as conn:
        n = conn.execute(
            sa.select(sa.func.count()).select_from(LEARNER).where(LEARNER.c.name == "twin")
        ).scalar_one()
    assert n == 1


def test_values_at_the_column_limits_and_any_text_round_trip(services: Services) -> None:
    item_id = "x" * 120
    section = "s" * 64
    topic = "t" * 79 + "é"
    stem = 'Naïve café — 😀 ‘quoted’ \\ back\tslash "json" {} [] and a NUL \x00 inside'
    bank = Bank.model_validate(
        {
            "name": "n" * 64,
            "version": "v" * 40,
            "title": "Title with NUL\x00 and ümlaut",
            "exams": ["cpc"],
            "cases": [{"id": "c" * 120, "title": "Case\x00", "text": "Text \x00 😀"}],
            "items": [
                {
                    "id": item_id,
                    "section": section,
                    "topics": [topic],
                    "case": "c" * 120,
                    "stem": stem,
                    "choices": [
                        {"key": "a", "text": "ja", "correct": True},
                        {"key": "b", "text": "nein"},
                    ],
                    "rationale": "Weil.",
                    "references": ["A rule"],
                }
            ],
        }
    )
    summary = import_bank(services.engine, bank, checksum="limits")
    assert summary.added == 1
    again = import_bank(services.engine, bank, checksum="limits")
    assert again.unchanged == 1 and again.added == again.updated == 0
    with services.engine.connect() as conn:
        row = conn.execute(sa.select(ITEM).where(ITEM.c.id == item_id)).one()
        assert row.section == section and row.retired is False
        # every character kept, but a NUL (a control) comes in visible, as ␀ (issue 18)
        assert row.payload["stem"] == stem.replace("\x00", "␀")
        assert conn.execute(sa.select(ITEM_TOPIC.c.topic)).scalar_one() == topic
        case_text = conn.execute(sa.select(CASE.c.text)).scalar_one()
        title = conn.execute(sa.select(BANK.c.title)).scalar_one()
    # the same on both backends: no NUL reaches a text column (PostgreSQL could not hold one)
    assert case_text == "Text ␀ 😀" and title == "Title with NUL␀ and ümlaut"
    assert bank_from_store(services, "n" * 64).items[0].stem == stem.replace("\x00", "␀")


def test_datetimes_come_back_as_the_same_instant_in_utc(services: Services) -> None:
    import_bank(services.engine, make_bank(2), checksum="g")
    lid = services.learner_id
    tz = timezone(timedelta(hours=-5, minutes=-30))
    due = services.clock().astimezone(tz).replace(microsecond=123456)
    with writing(services.engine) as conn:
        conn.execute(sa.insert(CARD).values(learner_id=lid, item_id="gen-00000", state=2, due=due))
    with services.engine.connect() as conn:
        back = conn.execute(sa.select(CARD.c.due)).scalar_one()
        n = conn.execute(
            sa.select(sa.func.count()).select_from(CARD).where(CARD.c.due <= due)
        ).scalar_one()
        later = conn.execute(
            sa.select(sa.func.count())
            .select_from(CARD)
            .where(CARD.c.due > due - timedelta(microseconds=1))
        ).scalar_one()
    assert back == due and back.utcoffset() == timedelta(0)
    assert n == 1 and later == 1
    with (
        pytest.raises(sa.exc.StatementError, match="naive datetime"),
        writing(services.engine) as conn,
    ):
        conn.execute(
            sa.update(CARD).values(due=due.replace(tzinfo=None)).where(CARD.c.learner_id == lid)
        )


def test_a_large_bank_imports_updates_and_retires_in_chunks(services: Services) -> None:
    """More items than one insert chunk and than one IN (...) list holds."""
    n = 4500
    import_bank(services.engine, make_bank(n, sections=("icd10cm", "hcpcs")), checksum="big")
    edited = make_bank(n - 500, sections=("hcpcs", "icd10cm"))  # every section moves
    summary = import_bank(services.engine, edited, checksum="big2")
    assert (summary.added, summary.updated, summary.retired) == (0, n - 500, 500)
    with services.engine.connect() as conn:
        live = conn.execute(
            sa.select(sa.func.count()).select_from(ITEM).where(ITEM.c.retired.is_(False))
        ).scalar_one()
        moved = conn.execute(sa.select(ITEM.c.section).where(ITEM.c.id == "gen-00000")).scalar_one()
    assert live == n - 500 and moved == "hcpcs"


def test_review_log_ids_keep_counting(services: Services) -> None:
    """Autoincrement ids come from the backend (sequence or rowid), never from the code."""
    from certprep.core.scheduling import Rating
    from certprep.services.review import ReviewSession

    import_bank(services.engine, make_bank(3), checksum="g")
    session = ReviewSession(services)
    for _ in range(3):
        card = session.next_card()
        assert card is not None
        session.rate(card, Rating.GOOD)
    with services.engine.connect() as conn:
        ids = list(conn.execute(sa.select(REVIEW_LOG.c.id).order_by(REVIEW_LOG.c.id)).scalars())
    assert len(ids) == 3 and ids == sorted(set(ids))


def test_urls_and_messages_for_a_server() -> None:
    assert database_url("postgresql://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert "full" in database_message(Exception('could not extend file: "No space left on device"'))
    assert "another certprep" in database_message(
        Exception("canceling statement due to lock timeout")
    )
    assert "read-only" in database_message(
        Exception("cannot execute UPDATE in a read-only transaction")
    )
    assert "refused the login" in database_message(
        Exception('connection failed: FATAL:  password authentication failed for user "u"')
    )
    assert "cannot reach" in database_message(
        Exception('connection failed: connection to server at "127.0.0.1", port 5432 failed')
    )
