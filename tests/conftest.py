"""Shared fixtures: every test gets its own temporary database, never the user's."""

from __future__ import annotations

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
    monkeypatch.delenv("CERTPREP_DB", raising=False)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "certprep.db"


@pytest.fixture
def services(db_path: Path, clock: FakeClock) -> Services:
    """Services on an empty temporary database (no bundled banks loaded)."""
    return open_services(str(db_path), "tester", clock=clock)


@pytest.fixture
def sample_services(services: Services) -> Services:
    """Services with tests/data/sample_bank.yaml imported."""
    bank = load_bank(DATA / "sample_bank.yaml")
    import_bank(services.engine, bank, checksum="sample")
    return services
