"""Full disk, read-only database, backups while another process writes."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner

from certprep.banks.importer import import_bank
from certprep.banks.native import dump_bank
from certprep.cli import app
from certprep.services import Services
from certprep.services.errors import database_message
from certprep.services.imports import import_files
from certprep.store.engine import make_engine
from certprep.store.migrate import backup_sqlite
from certprep.store.tables import ITEM, REVIEW_LOG

from .conftest import make_bank

runner = CliRunner()


def _cap_size(services: Services) -> None:
    """Make the database 'full': SQLite refuses to grow past its current page count."""
    with services.engine.connect() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()

    @sa.event.listens_for(services.engine, "connect")
    def _cap(dbapi_conn, _rec):
        dbapi_conn.execute(f"PRAGMA max_page_count={pages}")

    services.engine.dispose()


@pytest.mark.sqlite_only
def test_full_disk_import_says_so_and_writes_nothing(services: Services, tmp_path) -> None:
    import_bank(services.engine, make_bank(10), checksum="g")
    _cap_size(services)
    big = tmp_path / "big.yaml"
    big.write_text(dump_bank(make_bank(2000, name="big")))
    with pytest.raises(OperationalError) as info:
        import_files(services, [big])
    assert "disk is full" in database_message(info.value)
    with services.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(ITEM)).scalar_one() == 10


@pytest.mark.sqlite_only
async def test_unwritable_database_during_review_is_a_notice_not_a_crash(
    services: Services,
) -> None:
    from certprep.tui.app import make_app
    from certprep.tui.screens.review import ReviewScreen

    import_bank(services.engine, make_bank(5), checksum="g")
    app = make_app(services)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("r")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)

        @sa.event.listens_for(services.engine, "connect")
        def _read_only(dbapi_conn, _rec):
            dbapi_conn.execute("PRAGMA query_only=1")

        services.engine.dispose()  # from now on every write is refused, as on a read-only mount
        await pilot.press("a")
        await pilot.press("3")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)  # still running
        messages = [str(n.message) for n in app._notifications]
        assert any("read-only" in m and "Nothing was saved" in m for m in messages), messages
    with services.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(REVIEW_LOG)).scalar_one() == 0


@pytest.mark.sqlite_only
def test_read_only_database_is_explained(services: Services, db_path) -> None:
    import_bank(services.engine, make_bank(3), checksum="g")
    ro = make_engine(f"sqlite:///file:{db_path}?mode=ro&uri=true")
    with pytest.raises(OperationalError) as info, ro.begin() as conn:
        conn.execute(sa.delete(ITEM))
    assert "read-only" in database_message(info.value)


@pytest.mark.sqlite_only
def test_backup_while_another_process_writes_is_consistent(
    services: Services, db_path, tmp_path
) -> None:
    import_bank(services.engine, make_bank(400), checksum="g")
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"""
from certprep.services import open_services
from certprep.services.review import ReviewSession
from certprep.core.scheduling import Rating
s = open_services({str(db_path)!r}, "writer"); s.update_settings(new_per_day=400)
r = ReviewSession(s)
while (c := r.next_card()) is not None:
    r.rate(c, Rating.EASY)
""",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    copies = []
    time.sleep(0.5)
    for i in range(3):
        copies.append(backup_sqlite(services.engine, tmp_path / f"copy{i}.db"))
        time.sleep(0.2)
    _, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    for copy in copies:
        con = sqlite3.connect(copy)
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        logs = con.execute("SELECT count(*) FROM review_log").fetchone()[0]
        cards = con.execute("SELECT count(*) FROM card").fetchone()[0]
        assert logs == cards  # every rating committed with its card: never one without the other
        con.close()


def test_cli_says_when_the_database_is_from_a_newer_certprep(tmp_path) -> None:
    db = tmp_path / "n.db"
    assert runner.invoke(app, ["--db", str(db), "stats"]).exit_code == 0
    con = sqlite3.connect(db)
    con.execute("UPDATE alembic_version SET version_num='0999'")
    con.commit()
    result = runner.invoke(app, ["--db", str(db), "stats"])
    assert result.exit_code == 2 and "newer certprep" in result.output
