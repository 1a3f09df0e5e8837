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
