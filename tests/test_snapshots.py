"""Snapshot tests of the main screens at 120x36, on a fixed clock and fixed data."""

from __future__ import annotations

import pytest

from certprep.banks.importer import import_bank
from certprep.banks.native import load_bank
from certprep.services import Services
from certprep.tui.app import make_app

from .conftest import DATA


@pytest.fixture
def app(services: Services):
    import_bank(services.engine, load_bank(DATA / "sample_bank.yaml"), checksum="sample")
    return make_app(services)


async def _settle(pilot) -> None:
    from certprep.tui.screens.home import HomeScreen

    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.05)
    home = next(s for s in pilot.app.screen_stack if isinstance(s, HomeScreen))
    for _ in range(100):  # the counts arrive from a worker thread
        if home.summary is not None:
            break
        await pilot.pause(0.02)
    await pilot.pause(0.05)


def _keys(*keys: str):
    async def run_before(pilot) -> None:
        await _settle(pilot)
        for k in keys:
            await pilot.press(k)
            await _settle(pilot)

    return run_before


def test_review_feedback(snap_compare, app) -> None:
    assert snap_compare(app, terminal_size=(120, 36), run_before=_keys("r", "b"))


def test_report(snap_compare, app) -> None:
    assert snap_compare(app, terminal_size=(120, 36), run_before=_keys("t"))


def test_help(snap_compare, app) -> None:
    assert snap_compare(app, terminal_size=(120, 36), run_before=_keys("question_mark"))
