"""The home screen shows what a learner has to do today."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from textual.widgets import DataTable, Static

from certprep.services import Services
from certprep.store.tables import CardRow
from certprep.tui.app import make_app
from certprep.tui.screens.help import HelpScreen
from certprep.tui.screens.home import HomeScreen


def _row(table: DataTable, key: str) -> list[str]:
    return [str(c) for c in table.get_row(key)]


async def test_home_shows_counts_of_a_seeded_database(sample_services: Services, clock) -> None:
    lid = sample_services.learner_id
    past = datetime(2026, 11, 20, tzinfo=UTC)
    with sample_services.engine.begin() as conn:
        conn.execute(
            sa.insert(CardRow.__table__),
            [
                {
                    "learner_id": lid,
                    "item_id": "sample-001",
                    "state": 2,
                    "due": past,
                    "stability": 2.0,
                },
                {
                    "learner_id": lid,
                    "item_id": "sample-002",
                    "state": 1,
                    "due": past,
                    "stability": 0.5,
                },
                {
                    "learner_id": lid,
                    "item_id": "sample-003",
                    "state": 2,
                    "due": datetime(2027, 1, 1, tzinfo=UTC),
                    "stability": 9.0,
                },
            ],
        )
    app = make_app(sample_services)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        table = app.screen.query_one("#exams", DataTable)
        # 5 items; 2 due now; 2 never seen, so 2 new today; 1 in learning
        assert _row(table, "cpc")[:5] == [
            "★ AAPC Certified Professional Coder (CPC)",
            "5",
            "2",
            "2",
            "1",
        ]


async def test_home_on_an_empty_database_says_how_to_start(services: Services, tmp_path) -> None:
    services.banks_dir = tmp_path  # no bundled banks
    (tmp_path / "blueprints").mkdir()
    app = make_app(services)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        empty = app.screen.query_one("#empty", Static)
        assert "import" in str(empty.render())


async def test_help_opens_and_closes_and_quit_quits(sample_services: Services) -> None:
    app = make_app(sample_services)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_bundled_banks_load_on_first_start(services: Services) -> None:
    from certprep.banks.lint import bundled_banks_dir

    services.banks_dir = bundled_banks_dir()
    expected = len(services.pending_bundled_banks())
    app = make_app(services)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert services.pending_bundled_banks() == []
    assert len([b for b in services.banks() if b["origin"] == "bundled"]) == expected


async def test_settings_set_an_exam_date_shown_as_days_left(
    sample_services: Services, clock
) -> None:
    from textual.widgets import Input

    from certprep.tui.screens.settings import SettingsScreen

    app = make_app(sample_services)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)
        app.screen.query_one("#date-cpc", Input).value = "2026-12-23"
        app.screen.query_one("#new_per_day", Input).value = "abc"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)  # not saved: the error says why
        assert "New cards per day" in str(app.screen.query_one("#error", Static).render())
        app.screen.query_one("#new_per_day", Input).value = "15"
        await pilot.press("ctrl+s")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        row = _row(app.screen.query_one("#exams", DataTable), "cpc")
        assert row[5] == "2026-12-23 (30 days left)"
    assert sample_services.settings["new_per_day"] == 15


async def test_command_palette_offers_every_home_action(sample_services: Services) -> None:
    app = make_app(sample_services)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.workers.wait_for_complete()
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for wanted in (
            "Review",
            "Start a mock exam",
            "Import a bank",
            "Report",
            "Statistics",
            "Settings",
            "Help",
        ):
            assert wanted in titles
        await pilot.pause()


async def test_first_start_asks_the_exam_then_home_review_and_report_open_on_it(
    sample_services: Services,
) -> None:
    from textual.widgets import Checkbox

    from certprep.tui.screens.choose_exams import ChooseExamsScreen
    from certprep.tui.screens.exam_start import ExamStartScreen
    from certprep.tui.screens.report import ReportScreen
    from certprep.tui.screens.review import ReviewScreen

    sample_services.update_settings(my_exams=[], current_exam=None)  # a brand-new learner
    app = make_app(sample_services)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ChooseExamsScreen)
        await pilot.press("ctrl+s")  # nothing chosen: said, not saved
        await pilot.pause()
        assert "Choose at least one exam" in str(app.screen.query_one("#error", Static).render())
        app.screen.query_one("#pick-ccs", Checkbox).value = True
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert sample_services.settings["my_exams"] == ["ccs"]
        focus = str(app.screen.query_one("#focus", Static).render())
        assert "Preparing for CCS" in focus and "act on CCS" in focus
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen) and app.screen.filt.exam == "ccs"
        assert str(app.screen.query_one("#counts", Static).render()).startswith("CCS")
        await pilot.press("escape")
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ExamStartScreen) and app.screen.exam == "ccs"
        radio = app.screen.query_one("#exam")
        assert radio._selected == app.screen.keys.index("ccs")  # the highlight agrees
        await pilot.press("escape")
        await pilot.press("t")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ReportScreen) and app.screen.exam == "ccs"
    # remembered: a second start asks nothing and opens on CCS
    app = make_app(sample_services)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert app.screen._selected_exam() == "ccs"


async def test_home_says_which_code_set_year_the_content_matches(sample_services: Services) -> None:
    from certprep.core.codes import CM_YEAR

    app = make_app(sample_services)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        note = str(app.screen.query_one("#codeset", Static).render())
        assert f"FY{CM_YEAR} ICD-10-CM" in note and f"FY{CM_YEAR + 1}" in note


async def test_a_count_that_ends_late_does_not_bring_back_old_numbers(
    sample_services: Services, clock, monkeypatch
) -> None:
    """Coming back to home counts. When a count read the database before a change and ends after
    the count made after the change, home must show the change, not the older numbers (the
    card browser's searches had the same race)."""
    import asyncio
    import threading

    from textual.worker import Worker, get_current_worker

    summary = Services.home_summary
    read, release = threading.Event(), threading.Event()
    late: list[Worker] = []
    thread: list[threading.Thread] = []
    armed = False

    def slow_summary(self):  # type: ignore[no-untyped-def]
        out = summary(self)
        if armed and not late:  # the first count after arming: read now, end last
            late.append(get_current_worker())
            thread.append(threading.current_thread())
            read.set()
            release.wait(10)
        return out

    monkeypatch.setattr(Services, "home_summary", slow_summary)
    app = make_app(sample_services)
    delivered = threading.Event()
    call_from_thread = app.call_from_thread

    def handing_over(callback, *args, **kw):  # type: ignore[no-untyped-def]
        out = call_from_thread(callback, *args, **kw)  # returns once the screen ran it
        if thread and threading.current_thread() is thread[0]:
            delivered.set()
        return out

    app.call_from_thread = handing_over  # type: ignore[method-assign]
    async with app.run_test(size=(120, 36)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.screen.query_one("#exams", DataTable)
        assert _row(table, "cpc")[5].startswith("—")
        armed = True
        await pilot.press("question_mark", "escape")  # back on home: a count, held
        assert await asyncio.to_thread(read.wait, 10)
        sample_services.update_settings(exam_dates={"cpc": "2026-12-23"})
        await pilot.press("question_mark", "escape")  # back again: a count after the change
        for _ in range(5):
            await pilot.pause()
            others = [w for w in app.workers if w not in late]
            if others:
                await app.workers.wait_for_complete(others)
        assert _row(table, "cpc")[5] == "2026-12-23 (30 days left)"
        release.set()
        # its numbers, read before the date was set, have been handed to the screen (a cancelled
        # worker's thread runs on and hands them over all the same)
        assert await asyncio.to_thread(delivered.wait, 10)
        for _ in range(3):
            await pilot.pause()
        assert _row(table, "cpc")[5] == "2026-12-23 (30 days left)"
