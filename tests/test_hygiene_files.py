"""The SQLite file: damaged, empty, truncated or foreign files are refused and left alone;
backups are checked; restore; owner-only files; readers never take the write lock."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from certprep.cli import app
from certprep.store.files import APPLICATION_ID

pytestmark = pytest.mark.sqlite_only
runner = CliRunner()

# every command that opens the database, as a user would run it
COMMANDS = [
    ["stats"],
    ["stats", "--json"],
    ["report", "--exam", "cpc"],
    ["report", "--class", "--exam", "cpc"],
    ["banks", "list"],
    ["db", "upgrade"],
    ["review", "--exam", "cpc"],
    ["exam", "cpc"],
    ["optimize"],
    ["export", "sample"],
    ["banks", "remove", "sample", "--yes"],
]


@pytest.fixture
def good_db(tmp_path: Path, blueprints_only: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A certprep database with the sample bank, every connection closed."""
    from .conftest import DATA

    monkeypatch.setenv("CERTPREP_BANKS_DIR", str(blueprints_only))
    db = tmp_path / "good.db"
    result = runner.invoke(app, ["--db", str(db), "import", str(DATA / "sample_bank.yaml")])
    assert result.exit_code == 0, result.output
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return db


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _damage_pages(path: Path) -> None:
    """Scribble over every page but the first, as a failing disk would."""
    data = bytearray(path.read_bytes())
    for off in range(4096, len(data), 4096):
        data[off + 8 : off + 1000] = bytes((i * 37) % 251 for i in range(992))
    path.write_bytes(bytes(data))


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _garbage(path: Path) -> None:
    path.write_bytes(b"this is not a database\n" * 500)


def _empty(path: Path) -> None:
    path.write_bytes(b"")


@pytest.mark.parametrize("breakage", [_damage_pages, _truncate, _garbage, _empty])
def test_a_broken_database_file_is_explained_on_every_command(good_db: Path, breakage) -> None:
    breakage(good_db)
    before = _digest(good_db)
    for args in COMMANDS:
        result = runner.invoke(app, ["--db", str(good_db), *args])
        assert result.exit_code == 2, (args, result.output, result.exception)
        assert result.exception is None or isinstance(result.exception, SystemExit), args
        out = result.output
        assert "certprep db restore" in out, (args, out)
        assert any(w in out for w in ("damaged", "truncated", "empty", "not an SQLite")), out
        assert "Traceback" not in out
    assert _digest(good_db) == before  # nothing was written to it


def test_an_empty_file_is_not_made_into_a_new_database(tmp_path: Path) -> None:
    db = tmp_path / "zero.db"
    db.touch()
    result = runner.invoke(app, ["--db", str(db), "stats"])
    assert result.exit_code == 2
    assert "empty (0 bytes)" in result.output
    assert db.stat().st_size == 0 and not Path(f"{db}-wal").exists()


def test_backup_refuses_a_damaged_database_and_writes_nothing(good_db: Path, tmp_path) -> None:
    _damage_pages(good_db)
    dest = tmp_path / "copy.db"
    result = runner.invoke(app, ["--db", str(good_db), "db", "backup", str(dest)])
    assert result.exit_code == 2
    assert "damaged" in result.output and "no backup was written" in result.output
    assert not dest.exists() and not Path(f"{dest}.part").exists()


def test_backup_is_checked_owner_only_and_restores(good_db: Path, tmp_path: Path) -> None:
    old_umask = os.umask(0o022)
    try:
        dest = tmp_path / "backups" / "copy.db"
        result = runner.invoke(app, ["--db", str(good_db), "db", "backup", str(dest)])
    finally:
        os.umask(old_umask)
    assert result.exit_code == 0, result.output
    assert "integrity checked" in result.output
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600
    stats_before = runner.invoke(app, ["--db", str(good_db), "stats", "--json"]).output

    _damage_pages(good_db)
    assert runner.invoke(app, ["--db", str(good_db), "stats"]).exit_code == 2
    result = runner.invoke(app, ["--db", str(good_db), "db", "restore", str(dest)])
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["--db", str(good_db), "stats", "--json"]).output == stats_before
    kept = list(tmp_path.glob("good.replaced-*.db"))
    assert len(kept) == 1  # the damaged file is kept aside, not deleted
    assert stat.S_IMODE(good_db.stat().st_mode) == 0o600


def test_restore_refuses_what_is_not_a_certprep_backup(good_db: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE notes (x)")
    con.commit()
    con.close()
    before = _digest(good_db)
    for bad in (other, tmp_path / "missing.db"):
        result = runner.invoke(app, ["--db", str(good_db), "db", "restore", str(bad)])
        assert result.exit_code == 2, result.output
    assert _digest(good_db) == before


# -- whose database is it ----------------------------------------------------------------
def _app_id(path: Path) -> int:
    con = sqlite3.connect(path)
    try:
        return int(con.execute("PRAGMA application_id").fetchone()[0])
    finally:
        con.close()


def test_new_databases_are_marked_as_certprep(good_db: Path) -> None:
    assert _app_id(good_db) == APPLICATION_ID


def test_an_existing_unmarked_certprep_database_is_marked_and_kept(tmp_path: Path) -> None:
    from certprep.services import open_services
    from certprep.store.engine import make_engine
    from certprep.store.migrate import HEAD, current_revision, upgrade

    db = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)  # as certprep made them before the mark existed
    engine.dispose()
    assert _app_id(db) == 0
    services = open_services(str(db), "old")
    assert services.learner_id > 0
    assert current_revision(services.engine) == HEAD
    services.engine.dispose()
    assert _app_id(db) == APPLICATION_ID


@pytest.mark.parametrize("app_id", [0, 0x12345678])
def test_another_applications_database_is_refused_untouched(tmp_path: Path, app_id: int) -> None:
    other = tmp_path / "notes.sqlite"
    con = sqlite3.connect(other)
    con.execute(f"PRAGMA application_id = {app_id}")
    con.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    con.execute("INSERT INTO notes (body) VALUES ('keep me')")
    con.commit()
    con.close()
    before = (_digest(other), other.stat().st_mtime_ns)
    for args in (["stats"], ["banks", "list"], ["db", "upgrade"], ["report"]):
        result = runner.invoke(app, ["--db", str(other), *args])
        assert result.exit_code == 2, (args, result.output)
        assert "another application's database" in result.output
    assert (_digest(other), other.stat().st_mtime_ns) == before  # byte for byte
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.sqlite"]  # no -wal, no -shm


# -- permissions ---------------------------------------------------------------------------
def test_new_database_files_are_for_the_owner_only(tmp_path: Path, blueprints_only: Path) -> None:
    from certprep.services import open_services

    old_umask = os.umask(0o022)
    try:
        services = open_services(str(tmp_path / "mine.db"), "me", banks_dir=blueprints_only)
        _ = services.learner_id  # a write: the -wal file is in use
        files = sorted(tmp_path.glob("mine.db*"))
        assert {p.name for p in files} >= {"mine.db", "mine.db-wal", "mine.db-shm"}
        for p in files:
            assert stat.S_IMODE(p.stat().st_mode) == 0o600, p.name
        # umask of the process is left as it was
        assert os.umask(0o022) == 0o022
    finally:
        os.umask(old_umask)


# -- readers and the write lock --------------------------------------------------------------
def test_reading_commands_work_while_another_process_holds_the_write_lock(good_db: Path) -> None:
    # the learner exists (as for every returning student)
    assert runner.invoke(app, ["--db", str(good_db), "--profile", "amy", "stats"]).exit_code == 0
    writer = sqlite3.connect(good_db, isolation_level=None, timeout=0)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO learner (name, created_at, settings) VALUES ('w', '2026', '{}')")
    try:
        # the write lock is held; if any of these wanted it, it would wait and then fail
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            sqlite3.connect(good_db, timeout=0).execute("BEGIN IMMEDIATE")
        for args in (
            ["stats"],
            ["stats", "--json"],
            ["report", "--exam", "cpc"],
            ["report", "--format", "json"],
            ["banks", "list"],
            ["db", "path"],
        ):
            result = runner.invoke(app, ["--db", str(good_db), "--profile", "amy", *args])
            assert result.exit_code == 0, (args, result.output)
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_db_path_never_shows_a_password() -> None:
    url = "postgresql+psycopg://student:s3cr3t-pw@db.example:5432/certprep"
    result = runner.invoke(app, ["--db", url, "db", "path"])
    assert result.exit_code == 0
    assert "s3cr3t" not in result.output and "student:***@db.example" in result.output


def test_reading_an_unknown_profile_creates_nothing_and_takes_no_lock(good_db: Path) -> None:
    writer = sqlite3.connect(good_db, isolation_level=None, timeout=0)
    writer.execute("BEGIN IMMEDIATE")
    try:
        for args in (["stats"], ["report", "--exam", "cpc"], ["report", "--format", "json"]):
            result = runner.invoke(app, ["--db", str(good_db), "--profile", "newcomer", *args])
            assert result.exit_code == 0, (args, result.output)
        assert (
            "0 reviews, 0 exam attempts"
            in runner.invoke(app, ["--db", str(good_db), "--profile", "newcomer", "stats"]).output
        )
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    con = sqlite3.connect(good_db)
    names = [r[0] for r in con.execute("SELECT name FROM learner")]
    con.close()
    assert "newcomer" not in names  # a read made no learner


def test_processes_opening_a_new_database_at_once_all_succeed(tmp_path: Path) -> None:
    """The empty-file refusal does not trip over another certprep creating the same file."""
    import subprocess
    import sys

    db, go = tmp_path / "fresh.db", tmp_path / "go"
    code = (
        "import os, sys, time\n"
        "from pathlib import Path\n"
        "while not Path(sys.argv[2]).exists(): time.sleep(0.001)\n"
        "from certprep.services import open_services\n"
        "s = open_services(sys.argv[1], 'p' + sys.argv[3], banks_dir=Path(sys.argv[4]))\n"
        "print(s.learner_id)\n"
    )
    from .conftest import REPO

    banks = REPO / "question_banks"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(db), str(go), str(i), str(banks / "blueprints")],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(4)
    ]
    import time

    time.sleep(1.0)  # let them all import and wait at the line
    go.touch()
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], [r[1][-500:] for r in results]
    assert _app_id(db) == APPLICATION_ID
