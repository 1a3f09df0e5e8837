"""The settings screen: limits, the learner's time zone, exam dates, exam-date mode and its
preview (the extra workload shown before the mode is turned on)."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import Button, Input, Static

from certprep.services import Services
from certprep.tui.app import make_app
from certprep.tui.screens.settings import SettingsScreen


async def _open(app, pilot) -> SettingsScreen:
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.press("o")
    await pilot.pause()
    assert isinstance(app.screen, SettingsScreen)
    return app.screen


def _set(screen, wid: str, value: str) -> None:
    screen.query_one(f"#{wid}", Input).value = value


async def test_an_unknown_zone_is_refused_and_nothing_saved(sample_services: Services) -> None:
    app = make_app(sample_services)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _open(app, pilot)
        _set(screen, "time_zone", "Mars/Olympus")
        _set(screen, "new_per_day", "7")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is screen
        assert "Not saved" in str(screen.query_one("#error", Static).render())
        assert sample_services.settings["new_per_day"] != 7
        _set(screen, "time_zone", "Australia/Sydney")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is not screen
    assert sample_services.settings["time_zone"] == "Australia/Sydney"
    assert sample_services.settings["new_per_day"] == 7


async def test_exam_date_mode_needs_a_date_and_shows_its_cost_first(
    sample_services: Services, clock
) -> None:
    from certprep.core.scheduling import Rating
    from certprep.services.review import ReviewSession

    session = ReviewSession(sample_services)
    while (card := session.next_card()) is not None:  # some studied cards to keep up
        session.rate(card, Rating.GOOD)
    app = make_app(sample_services)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _open(app, pilot)
        _set(screen, "mode-cpc", "0.95")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "needs the exam date" in str(screen.query_one("#error", Static).render())
        exam_day = (clock() + timedelta(days=40)).date().isoformat()
        _set(screen, "date-cpc", exam_day)
        screen.query_one("#preview-cpc", Button).press()
        await app.workers.wait_for_complete()
        await pilot.pause()
        preview = str(screen.query_one("#preview", Static).render())
        assert "without the mode" in preview and "with the mode" in preview, preview
        assert "reviews a day" in preview
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is not screen
    assert sample_services.settings["exam_mode"] == {"cpc": 0.95}
    assert sample_services.settings["exam_dates"] == {"cpc": exam_day}
