"""Learner-path fixes of session 6 that have no better home: choices that wrap at 80 columns."""

from __future__ import annotations

import re

from textual.widget import Widget

from certprep.banks.importer import import_bank
from certprep.core.models import Bank
from certprep.services import Services
from certprep.services.exams import ExamService
from certprep.tui.app import make_app
from certprep.tui.screens.exam import ExamScreen
from certprep.tui.screens.exam_results import ExamResultsScreen
from certprep.tui.screens.review import ReviewScreen
from tests.conftest import make_bank
from tests.exams import SECTIONS, small_blueprint

LONG = (
    "Report the condition established after study to be chiefly responsible for "
    "occasioning the admission of the patient to the hospital for care"
)


def _long_choices(services: Services) -> Services:
    """Every question's choices too long for one line at 80 columns."""
    data = make_bank(12, sections=SECTIONS).model_dump(mode="json")
    for item in data["items"]:
        for choice in item["choices"]:
            choice["text"] = f"{LONG} ({choice['key']})"
    import_bank(services.engine, Bank.model_validate(data), checksum="long")
    return services


def _drawn(widget: Widget) -> list[str]:
    return [widget.render_line(y).text.rstrip() for y in range(widget.size.height)]


def _assert_hangs(lines: list[str]) -> None:
    """Each choice's continuation lines start under its text, not under its letter."""
    starts = [i for i, line in enumerate(lines) if re.match(r"[\s▶✔✘]*[ab]\) ", line)]
    assert starts, "\n".join(lines)
    for i in starts:
        text_column = lines[i].index(") ") + 2
        following = lines[i + 1]
        assert following.strip(), "\n".join(lines)  # the choice did wrap
        indent = len(following) - len(following.lstrip())
        assert indent == text_column, "\n".join(lines)


async def test_a_long_choice_wraps_under_its_text_in_the_exam_and_its_results(
    services: Services,
) -> None:
    exams = ExamService(_long_choices(services))
    aid = exams.start(small_blueprint(), seed=3)
    app = make_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = ExamScreen(services, aid)
        await app.push_screen(screen)
        await pilot.pause()
        _assert_hangs(_drawn(screen.query_one("#question")))
        await pilot.press("k")  # the code book beside it: narrower, wrapped again
        await pilot.pause()
        _assert_hangs(_drawn(screen.query_one("#question")))
        await pilot.press("escape", "a", "ctrl+s")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, ExamResultsScreen)
        await pilot.press("r")  # the answers, one by one
        await pilot.pause()
        _assert_hangs(_drawn(app.screen.query_one("#answer")))


async def test_a_long_choice_wraps_under_its_text_in_review(services: Services) -> None:
    app = make_app(_long_choices(services))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)
        _assert_hangs(_drawn(app.screen.query_one("#question")))
        assert "a) " in str(app.screen.query_one("#question").render())  # plain text still


async def test_a_long_section_title_wraps_under_itself_in_the_results(services: Services) -> None:
    """The shipped CPC's longest section title at 80 columns: its second line starts under the
    title, not under the figures before it."""
    title = (
        "Surgery 30000 series: respiratory, cardiovascular, hemic and lymphatic, "
        "mediastinum and diaphragm"
    )
    blueprint = small_blueprint(
        sections=[
            {"key": "icd10cm", "title": title, "questions": 3},
            {"key": "hcpcs", "title": "HCPCS Level II", "questions": 2},
        ]
    )
    exams = ExamService(_long_choices(services))
    aid = exams.start(blueprint, seed=3)
    app = make_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await app.push_screen(ExamScreen(services, aid))
        await pilot.pause()
        await pilot.press("a", "ctrl+s")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, ExamResultsScreen)
        lines = _drawn(app.screen.query_one("#result"))
        first = next(i for i, line in enumerate(lines) if "Surgery 30000 series" in line)
        column = lines[first].index("Surgery")
        following = lines[first + 1]
        assert following.strip() and not following.strip().startswith("HCPCS"), "\n".join(lines)
        assert len(following) - len(following.lstrip()) == column, "\n".join(lines)
