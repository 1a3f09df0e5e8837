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
def blueprints_only(tmp_path: Path) -> Path:
    """A banks folder with the shipped blueprints and no banks, so tests see only their own items."""
    import shutil

    folder = tmp_path / "banks"
    shutil.copytree(REPO / "question_banks" / "blueprints", folder / "blueprints")
    return folder


@pytest.fixture
def services(db_path: Path, clock: FakeClock, blueprints_only: Path) -> Services:
    """Services on an empty temporary database; the shipped banks are not loaded."""
    return open_services(str(db_path), "tester", clock=clock, banks_dir=blueprints_only)


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
