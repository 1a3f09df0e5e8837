"""Migrations build exactly the tables the code describes, and refuse a newer database."""

from __future__ import annotations

import sqlite3

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

from certprep.services import open_services
from certprep.store.engine import make_engine
from certprep.store.migrate import (
    HEAD,
    REVISIONS,
    SchemaError,
    alembic_config,
    current_revision,
    ensure_schema,
)


def test_upgrade_from_empty_matches_the_models(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    ensure_schema(engine)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, SQLModel.metadata)
    assert diff == []


def test_known_revisions_match_alembic(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    script = ScriptDirectory.from_config(alembic_config(engine))
    assert script.get_current_head() == HEAD
    walked = [rev.revision for rev in script.walk_revisions()]
    assert list(reversed(walked)) == list(REVISIONS)


def test_database_from_a_newer_certprep_is_refused(tmp_path) -> None:
    path = tmp_path / "new.db"
    open_services(str(path))
    con = sqlite3.connect(path)
    con.execute("UPDATE alembic_version SET version_num = '9999'")
    con.commit()
    con.close()
    with pytest.raises(SchemaError, match="newer certprep"):
        open_services(str(path))
    con = sqlite3.connect(path)
    assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "9999"


def test_at_head_alembic_is_not_imported(tmp_path) -> None:
    import subprocess
    import sys

    path = tmp_path / "h.db"
    open_services(str(path))
    code = (
        "import sys; from certprep.services import open_services; "
        f"open_services({str(path)!r}); print('alembic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    engine = make_engine(f"sqlite:///{path}")
    assert current_revision(engine) == HEAD


def _columns(engine) -> dict[str, list[str]]:
    import sqlalchemy as sa

    with engine.connect() as conn:
        insp = sa.inspect(conn)
        return {
            t: [c["name"] for c in insp.get_columns(t)]
            for t in insp.get_table_names()
            if t != "alembic_version"
        }


def _rows(engine, columns: dict[str, list[str]] | None = None) -> dict[str, list]:
    """Every row of every table, in the given columns (those a past revision had: columns
    added since, like item_exam.rkey, are new data, not kept data)."""
    import sqlalchemy as sa

    columns = columns or _columns(engine)
    with engine.connect() as conn:
        return {
            t: sorted(
                map(tuple, conn.execute(sa.text(f"SELECT {', '.join(cols)} FROM {t}"))), key=repr
            )
            for t, cols in columns.items()
        }


def _copy_rows(src, dest, columns: dict[str, list[str]]) -> None:
    """Every row of ``src`` into ``dest``, in the columns ``dest``'s (older) schema has."""
    import sqlalchemy as sa

    with src.connect() as conn:
        data = {
            t: [dict(r._mapping) for r in conn.execute(sa.text(f"SELECT {', '.join(c)} FROM {t}"))]
            for t, c in columns.items()
        }
    order = ["learner", "bank", "case_text", "item", "item_exam", "item_topic", "card"]
    # item_count is kept by the database's own triggers from 0008 on: the rows written above
    # have made it already (the comparison after the upgrade still holds it)
    order += [t for t in data if t not in order and t != "item_count"]
    with dest.begin() as conn:
        for t in order:
            if data.get(t):
                cols = columns[t]
                conn.execute(
                    sa.text(
                        f"INSERT INTO {t} ({', '.join(cols)}) "
                        f"VALUES ({', '.join(':' + c for c in cols)})"
                    ),
                    data[t],
                )


@pytest.mark.parametrize("revision", REVISIONS[:-1])
def test_a_database_at_each_past_revision_upgrades_with_every_row_kept(tmp_path, revision) -> None:
    """A database written at an older revision (a bank, a learner's reviews: the rows this
    version writes, in the columns that revision had) upgrades with every row kept."""
    from certprep.banks.importer import import_bank
    from certprep.banks.native import load_bank
    from certprep.core.scheduling import Rating
    from certprep.services import Services
    from certprep.services.review import ReviewSession
    from certprep.store.migrate import upgrade

    from .conftest import DATA

    head = make_engine(f"sqlite:///{tmp_path / 'head.db'}")
    ensure_schema(head)
    svc = Services(head, "learner", banks_dir=tmp_path)
    import_bank(head, load_bank(DATA / "sample_bank.yaml"), checksum="s")
    session = ReviewSession(svc)
    for rating in (Rating.GOOD, Rating.AGAIN, Rating.EASY):
        session.rate(session.next_card(), rating)

    path = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine, revision)
    assert current_revision(engine) == revision
    _columns_before = _columns(engine)
    _copy_rows(head, engine, _columns_before)
    before = _rows(engine, _columns_before)
    assert sum(len(v) for v in before.values()) > 10
    backups = []
    assert ensure_schema(engine, on_backup=backups.append) == HEAD
    after = _rows(engine, _columns_before)
    assert after == before  # tables added since start empty
    assert len(backups) == 1 and backups[0].exists()  # backed up before upgrading


def test_downgrade_then_upgrade_again(tmp_path) -> None:
    from alembic import command

    engine = make_engine(f"sqlite:///{tmp_path / 'd.db'}")
    ensure_schema(engine)
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, REVISIONS[-2])
    assert current_revision(engine) == REVISIONS[-2]
    ensure_schema(engine)
    assert current_revision(engine) == HEAD
