"""A new learner on the shipped banks: every screen opens, a whole mock is sat, every footer key
acts. At 120x36 and 80x24. These tests fail on any exception the app meets."""

from __future__ import annotations

from pathlib import Path

import pytest

from certprep.services import Services
from certprep.tui.app import make_app
from tests.conftest import FakeClock
from tests.shipped import shipped_services, shipped_template

SIZES = [(120, 36), (80, 24)]
EXAMS = ["cpc", "cpb", "ccs"]


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shipped_template(tmp_path_factory.mktemp("shipped"))


@pytest.fixture
def learner(template: Path, tmp_path: Path, clock: FakeClock) -> Services:
    return shipped_services(template, tmp_path / "learner.db", clock)


async def _home(app, pilot) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("exam", EXAMS)
async def test_report_opens_for_every_exam_on_a_new_profile(
    learner: Services, exam: str, size: tuple[int, int]
) -> None:
    from certprep.tui.screens.report import ReportScreen

    app = make_app(learner)
    async with app.run_test(size=size) as pilot:
        await _home(app, pilot)
        await app.push_screen(ReportScreen(learner, exam))
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ReportScreen)
        assert screen.report is not None and screen.report.exam == exam
        weak = screen.query_one("#weak")
        assert weak.row_count == len(screen.report.weak) > 0  # type: ignore[attr-defined]
        await pilot.press("d")  # drill the first weak topic
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert type(app.screen).__name__ == "ReviewScreen"
