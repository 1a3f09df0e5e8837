"""A new learner on the shipped banks, for every exam, at 120x36 and at 80x24.

Each run starts on a fresh profile (the first-start question included), presses every key shown
in every footer on the way, sits a whole mock (every question answered, some flagged, some
changed), submits, walks through the results, opens the report, reviews with every footer key,
and opens statistics, settings and import. It fails on any exception the app meets and on any
footer key that changes nothing a learner can see."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Input, Static

from certprep.core.models import ItemKind
from certprep.services import Services
from certprep.services.exams import ExamService
from certprep.tui.app import make_app
from tests.conftest import FakeClock
from tests.shipped import shipped_services, shipped_template

SIZES = [(120, 36), (80, 24)]
EXAMS = ["cpc", "cpb", "ccs"]
# keys whose effect is leaving the app: tested by the tmux tests, not pressed here
LEAVES_THE_APP = {"app.quit", "quit"}


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shipped_template(tmp_path_factory.mktemp("shipped"))


@pytest.fixture
def learner(template: Path, tmp_path: Path, clock: FakeClock) -> Services:
    return shipped_services(template, tmp_path / "learner.db", clock)


async def settle(app: Any, pilot: Any) -> None:
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


def seen(app: Any) -> tuple[Any, ...]:
    """What a learner can notice: the screen on top, every text on it, table cursors, focus,
    the footer's keys, and the notifications posted."""
    screen = app.screen
    texts = []
    for w in screen.query(Static):
        if w.display:
            texts.append(str(w.render()))
    for t in screen.query(DataTable):
        texts.append(f"{t.id}:{t.row_count}:{t.cursor_coordinate}")
    keys = tuple(sorted(k for k, b in screen.active_bindings.items() if b.binding.show))
    return (id(screen), tuple(texts), id(app.focused), keys, len(app._notifications))


def footer_keys(app: Any) -> list[tuple[str, str]]:
    """(key, action) for every key the footer shows now and that is enabled."""
    out = []
    for key, active in app.screen.active_bindings.items():
        b = active.binding
        if b.show and active.enabled and b.action not in LEAVES_THE_APP:
            out.append((key, b.action))
    return out


async def every_footer_key_acts(app: Any, pilot: Any, back: Any) -> list[str]:
    """Press each key the footer shows on the current screen, in every state the keys lead to;
    each must change what is seen. ``back`` brings the app back to this screen between keys.
    Returns the actions pressed."""
    start = app.screen
    pressed: list[str] = []
    done: set[tuple[str, str]] = set()
    for _ in range(40):
        if app.screen is not start or not start.is_attached:
            await back()
            start = app.screen
        todo = [k for k in footer_keys(app) if k not in done]
        if not todo:
            break
        key, action = todo[0]
        done.add((key, action))
        before = seen(app)
        await pilot.press(key)
        await settle(app, pilot)
        assert seen(app) != before, f"{type(start).__name__}: {key} ({action}) changed nothing"
        pressed.append(action)
        if isinstance(app.focused, Input) and app.screen is start:
            await pilot.press("escape")  # a box took the focus (the code book): leave it
            await settle(app, pilot)
    if app.screen is not start:
        await back()
    return pressed


async def back_to(app: Any, pilot: Any, screen: Any) -> None:
    for _ in range(6):
        if app.screen is screen:
            return
        await pilot.press("escape")
        await settle(app, pilot)
    assert app.screen is screen, f"escape did not lead back from {type(app.screen).__name__}"


async def sit_whole_mock(app: Any, pilot: Any, exam: str) -> int:
    """Start the full timed form from home and answer every question; some flagged, some
    changed. Returns the attempt id, submitted."""
    from certprep.tui.screens.confirm_submit import ConfirmSubmitScreen
    from certprep.tui.screens.exam import ExamScreen
    from certprep.tui.screens.exam_results import ExamResultsScreen
    from certprep.tui.screens.exam_start import ExamStartScreen

    await pilot.press("e")
    await settle(app, pilot)
    assert isinstance(app.screen, ExamStartScreen) and app.screen.exam == exam
    await pilot.press("ctrl+s")
    await settle(app, pilot)
    screen = app.screen
    assert isinstance(screen, ExamScreen), "the full form could not be drawn"
    view = screen.view
    assert view is not None and view.blueprint.key == exam
    total = len(view.questions)
    assert total == view.blueprint.questions
    for n in range(total):
        q = screen.question
        assert q.position == n
        if q.item.kind is ItemKind.CODE:
            box = screen.query_one("#code", Input)
            assert app.focused is box
            await pilot.press(*"Z00.00", "enter")
        elif q.item.kind is ItemKind.MULTIPLE:
            await pilot.press("a", "b")
        else:
            letters = "abcdef"[: len(q.item.choices)]
            await pilot.press(letters[n % len(letters)])
            if n % 11 == 3:  # a change of mind
                await pilot.press(letters[(n + 1) % len(letters)])
        if n % 9 == 4:
            await pilot.press("f")
        await pilot.press("n")
    status = str(screen.query_one("#status", Static).render())
    assert f"{total}/{total}" in status and "answered" in status, status
    await pilot.press("ctrl+s")
    await settle(app, pilot)
    assert isinstance(app.screen, ConfirmSubmitScreen)
    assert "0 unanswered" in str(app.screen.query_one("#counts", Static).render())
    await pilot.press("y")
    await settle(app, pilot)
    assert isinstance(app.screen, ExamResultsScreen)
    return screen.attempt_id


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("exam", EXAMS)
async def test_a_new_learner_goes_the_whole_way(
    learner: Services, exam: str, size: tuple[int, int]
) -> None:
    from textual.widgets import Checkbox

    from certprep.tui.screens.choose_exams import ChooseExamsScreen
    from certprep.tui.screens.home import HomeScreen
    from certprep.tui.screens.report import ReportScreen
    from certprep.tui.screens.review import ReviewScreen

    app = make_app(learner)
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        # first start: which exam?
        assert isinstance(app.screen, ChooseExamsScreen)
        app.screen.query_one(f"#pick-{exam}", Checkbox).value = True
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        home = app.screen
        assert isinstance(home, HomeScreen) and home._selected_exam() == exam

        async def to_home() -> None:
            await back_to(app, pilot, home)

        acted = await every_footer_key_acts(app, pilot, to_home)
        assert {"review", "exam", "report", "stats", "settings", "import_bank"} <= set(acted)

        # a whole mock, then results, the walk-through and the report
        attempt = await sit_whole_mock(app, pilot, exam)
        results = [app.screen]
        await pilot.press("r")  # into the walk-through: its own keys are checked there
        await settle(app, pilot)

        async def to_walkthrough() -> None:
            from certprep.tui.screens.exam_results import ExamResultsScreen

            if results[0] not in app.screen_stack:  # Back left the results: open them again
                await back_to(app, pilot, home)
                results[0] = ExamResultsScreen(learner, attempt)
                await app.push_screen(results[0])
                await settle(app, pilot)
            await back_to(app, pilot, results[0])
            if results[0].mode != "review":
                await pilot.press("r")
                await settle(app, pilot)

        acted = await every_footer_key_acts(app, pilot, to_walkthrough)
        assert {"filter('wrong')", "filter('flagged')", "step(1)"} <= set(acted)
        await to_walkthrough()
        await pilot.press("escape")  # the summary
        await settle(app, pilot)
        await pilot.press("t")
        await settle(app, pilot)
        assert isinstance(app.screen, ReportScreen) and app.screen.exam == exam
        assert app.screen.report is not None and app.screen.report.attempts
        await to_home()
        view = ExamService(learner).load(attempt)
        assert view.status == "submitted" and view.unanswered == 0
        assert view.flagged == len(range(4, len(view.questions), 9))

        # daily review: the misses are due now; every footer key in each state
        await pilot.press("r")
        await settle(app, pilot)
        review = [app.screen]
        assert isinstance(review[0], ReviewScreen) and review[0].current is not None
        assert review[0].current.queue != "new"  # a miss comes back as a lapse, not a new card

        async def to_review() -> None:
            if review[0] not in app.screen_stack:  # End left it: open a fresh session
                await to_home()
                await pilot.press("r")
                await settle(app, pilot)
                review[0] = app.screen
            await back_to(app, pilot, review[0])

        acted = await every_footer_key_acts(app, pilot, to_review)
        assert "reveal" in acted
        # answered: the rating keys' state has its own footer
        await to_review()
        await pilot.press("space")
        await settle(app, pilot)
        acted = await every_footer_key_acts(app, pilot, to_review)
        await to_home()

        # the report, statistics, settings and import open and close at this size
        for key in ("t", "s", "o", "i"):
            await pilot.press(key)
            await settle(app, pilot)
            assert app.screen is not home, key
            await to_home()
