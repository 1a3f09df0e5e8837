"""Shared fixtures: every test gets its own temporary database, never the user's."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from certprep.banks.importer import import_bank
from certprep.banks.native import load_bank
from certprep.services import Services, open_services

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).parent.parent


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 23, 15, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@pytest.fixture(autouse=True)
def _isolated_user_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    # one code-book index for the whole session (built by the first test that opens the book)
    index = tmp_path_factory.getbasetemp() / "codebook-index" / "codebook.sqlite"
    monkeypatch.setenv("CERTPREP_CODEBOOK_INDEX", str(index))
    monkeypatch.delenv("CERTPREP_DB", raising=False)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


# -- backends: `pytest --backend postgresql` runs the database tests on PostgreSQL ------------
# On that backend ``db_path`` is a fresh, migrated database per test, cloned from a template made
# once per session, and dropped after the test. It is a ``str`` holding the SQLAlchemy URL, so
# ``open_services(str(db_path))`` and ``--db str(db_path)`` reach the same database as on SQLite.
# Tests that are about SQLite itself carry ``@pytest.mark.sqlite_only`` and are skipped there.
PG_URL_ENV = "CERTPREP_TEST_PG_URL"
DEFAULT_PG_URL = "postgresql+psycopg://certprep:certprep@localhost:5432/certprep"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="database backend of the `services`/`db_path` fixtures (default sqlite)",
    )
    parser.addoption(
        "--pg-url",
        default=None,
        help=f"server URL for --backend postgresql (default ${PG_URL_ENV}, else {DEFAULT_PG_URL});"
        " the role needs CREATEDB",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--backend") != "postgresql":
        return
    skip = pytest.mark.skip(reason="sqlite_only: about SQLite itself (file, PRAGMA, WAL, backup)")
    for item in items:
        if "sqlite_only" in item.keywords:
            item.add_marker(skip)


class PgTestDatabase(str):
    """The URL of one test's PostgreSQL database (stands where an SQLite ``db_path`` would)."""


def _pg_admin_url(config: pytest.Config) -> str:
    return str(config.getoption("--pg-url") or os.environ.get(PG_URL_ENV) or DEFAULT_PG_URL)


@pytest.fixture(scope="session")
def _pg_server(request: pytest.FixtureRequest) -> Iterator[tuple[object, str] | None]:
    """On the postgresql backend: (admin engine, template database name) for the session."""
    if request.config.getoption("--backend") != "postgresql":
        yield None
        return
    import sqlalchemy as sa

    from certprep.store.engine import make_engine
    from certprep.store.migrate import ensure_schema

    url = sa.make_url(_pg_admin_url(request.config))
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        pytest.exit(f"--backend postgresql: cannot reach {url!r}: {exc.orig}", returncode=3)
    template = f"certprep_test_tmpl_{os.getpid()}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{template}"'))
    engine = make_engine(url.set(database=template).render_as_string(hide_password=False))
    ensure_schema(engine)  # the Alembic migrations, once, on PostgreSQL
    engine.dispose()
    yield admin, template
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)'))
    admin.dispose()


_pg_counter = itertools.count()


@pytest.fixture
def db_path(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Path]:
    server = request.getfixturevalue("_pg_server")
    if server is None:
        yield tmp_path / "certprep.db"
        return
    import sqlalchemy as sa

    admin, template = server
    assert isinstance(admin, sa.Engine)
    name = f"certprep_test_{os.getpid()}_{next(_pg_counter)}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        yield PgTestDatabase(url)  # type: ignore[misc]
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def blueprints_only(tmp_path: Path) -> Path:
    """A banks folder with the shipped blueprints and no banks, so tests see only their own items."""
    import shutil

    folder = tmp_path / "banks"
    shutil.copytree(REPO / "question_banks" / "blueprints", folder / "blueprints")
    return folder


@pytest.fixture
def services(db_path: Path, clock: FakeClock, blueprints_only: Path) -> Services:
    """Services on an empty temporary database; the shipped banks are not loaded. The learner
    has chosen their exams already (the first-start question is tested on its own)."""
    svc = open_services(str(db_path), "tester", clock=clock, banks_dir=blueprints_only)
    svc.update_settings(my_exams=["cpc", "cpb", "ccs"])
    return svc


@pytest.fixture
def sample_services(services: Services) -> Services:
    """Services with tests/data/sample_bank.yaml imported."""
    bank = load_bank(DATA / "sample_bank.yaml")
    import_bank(services.engine, bank, checksum="sample")
    return services


def make_bank(
    n: int,
    *,
    name: str = "gen",
    exam: str = "cpc",
    sections: tuple[str, ...] = ("icd10cm",),
    case_every: int = 0,
):
    """A valid bank of ``n`` single-answer items spread over ``sections`` (for volume tests)."""
    from certprep.core.models import Bank

    items = []
    cases = []
    for i in range(n):
        case = None
        if case_every and i % case_every == 0:
            case = f"{name}-case-{i // case_every}"
            cases.append({"id": case, "text": f"Case {i // case_every}: a patient is seen."})
        elif case_every:
            case = f"{name}-case-{i // case_every}"
        items.append(
            {
                "id": f"{name}-{i:05d}",
                "section": sections[i % len(sections)],
                "topics": [f"topic-{i % 7}"],
                "stem": f"Question {i} of the {name} bank?",
                "case": case,
                "choices": [
                    {"key": k, "text": f"option {k} of {i}", "correct": k == "abcd"[i % 4]}
                    for k in "abcd"
                ],
                "rationale": "Because.",
                "references": ["Test reference"],
            }
        )
    return Bank.model_validate({"name": name, "exams": [exam], "cases": cases, "items": items})


@pytest.fixture
def exam_services(services: Services) -> Services:
    """Services with twelve generated CPC items per section of ``tests.exams.SECTIONS``."""
    from tests.exams import SECTIONS

    import_bank(services.engine, make_bank(12, sections=SECTIONS), checksum="gen")
    return services
