"""Statements run on the driver's cursor (store.direct) read and write what SQLAlchemy would,
and fail the way SQLAlchemy fails."""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa

from certprep.banks.importer import import_bank
from certprep.core.scheduling import Rating
from certprep.services import Services
from certprep.services.review import ReviewSession
from certprep.services.review.queue import LOAD_CARD
from certprep.store.direct import Direct
from certprep.store.engine import sqlite_path, writing
from certprep.store.tables import CARD, REVIEW_LOG

from .conftest import make_bank

pytestmark = pytest.mark.both_backends


def test_a_card_read_directly_is_the_row_sqlalchemy_reads(services: Services) -> None:
    import_bank(services.engine, make_bank(3), checksum="d")
    session = ReviewSession(services)
    study = session.next_card()
    assert study is not None
    session.rate(study, Rating.AGAIN)  # a card row with times, and a log row with JSON
    params = {"lid": services.learner_id, "item": study.item.id}
    with services.engine.connect() as conn:
        direct = LOAD_CARD.first(conn, params)
        plain = conn.execute(LOAD_CARD.stmt, params).one()._mapping
    assert direct == dict(plain)
    assert direct is not None and direct.due.tzinfo is not None  # aware UTC, as stored
    assert direct.payload["id"] == study.item.id  # JSON read back as data
    with services.engine.connect() as conn:
        log = conn.execute(sa.select(REVIEW_LOG)).one()
        card = conn.execute(sa.select(CARD)).one()
    assert log.card_before["state"] == 0  # written as JSON, read back by SQLAlchemy
    assert card.introduced_at == log.reviewed_at  # the same UTC instant both ways


@pytest.mark.sqlite_only
def test_a_locked_database_raises_what_sqlalchemy_raises(services: Services) -> None:
    """Another writer holds the lock: the direct write fails with SQLAlchemy's
    OperationalError (which the screens and commands turn into a message), not sqlite3's."""
    import_bank(services.engine, make_bank(1), checksum="d")
    services.engine.dispose()
    path = sqlite_path(services.engine)
    assert path is not None
    holder = sqlite3.connect(str(path), timeout=0.05)
    holder.execute("BEGIN IMMEDIATE")
    try:
        engine = sa.create_engine(f"sqlite:///{path}", connect_args={"timeout": 0.05})
        insert = Direct(sa.insert(CARD))
        with engine.connect() as conn, pytest.raises(sa.exc.OperationalError, match="locked"):
            insert.write(conn, {"learner_id": services.learner_id, "item_id": "nope", "state": 0})
        engine.dispose()
    finally:
        holder.rollback()
        holder.close()
    with writing(services.engine) as conn:  # and nothing half-written is left behind
        assert conn.execute(sa.select(sa.func.count()).select_from(CARD)).scalar_one() == 0


@pytest.mark.sqlite_only
@pytest.mark.parametrize("name", ["_bind_processors", "_result_columns"])
def test_a_sqlalchemy_without_the_private_attributes_is_named(
    services: Services, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """A SQLAlchemy whose compiled statements lack what Direct reads (a future version) fails at
    the first statement with the version to install, not with an AttributeError mid-review."""
    from sqlalchemy.sql.compiler import SQLCompiler

    from certprep.store.direct import UnsupportedSQLAlchemy

    init = SQLCompiler.__init__

    def without(self, *args, **kw):
        init(self, *args, **kw)
        self.__dict__.pop(name, None)

    for klass in SQLCompiler.__mro__:  # a property or default of a class, or set by __init__
        if name in vars(klass):
            monkeypatch.delattr(klass, name)
    monkeypatch.setattr(SQLCompiler, "__init__", without)
    read = Direct(sa.select(CARD).where(CARD.c.item_id == sa.bindparam("item")))
    with services.engine.connect() as conn, pytest.raises(UnsupportedSQLAlchemy) as err:
        read.first(conn, {"item": "x"})
    message = str(err.value)
    assert name in message and sa.__version__ in message
    assert 'pip install "sqlalchemy>=2.1,<2.2"' in message
