"""The shipped banks, loaded once per test session into a template database that each test
copies: acceptance tests run on what a learner gets, not on fixtures."""

from __future__ import annotations

import shutil
from pathlib import Path

from certprep.banks.lint import bundled_banks_dir
from certprep.services import Services, open_services
from tests.conftest import FakeClock

_TEMPLATE: dict[str, Path] = {}


def shipped_template(tmp_root: Path) -> Path:
    """A SQLite file with the bundled banks loaded (made once)."""
    if "path" not in _TEMPLATE:
        path = tmp_root / "shipped-template.db"
        services = open_services(str(path), "learner", banks_dir=bundled_banks_dir())
        services.load_bundled_banks()
        services.engine.dispose()
        _TEMPLATE["path"] = path
    return _TEMPLATE["path"]


def shipped_services(template: Path, dest: Path, clock: FakeClock) -> Services:
    """A fresh profile on a copy of the shipped database."""
    shutil.copyfile(template, dest)
    return open_services(str(dest), "learner", clock=clock, banks_dir=bundled_banks_dir())
