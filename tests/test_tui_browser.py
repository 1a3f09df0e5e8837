"""The card browser on screen: search, select, act, the detail pane, every footer key, markup."""

from __future__ import annotations

import sqlalchemy as sa
from textual.widgets import DataTable, Input, Static

from certprep.banks.importer import import_bank
from certprep.core.scheduling import Rating
from certprep.services import Services
from certprep.services.review import ReviewSession
from certprep.store.tables import CARD, REVIEW_LOG
from certprep.tui.app import make_app
from certprep.tui.screens.browser import BrowserScreen
from certprep.tui.screens.home import HomeScreen
from certprep.tui.widgets.card_detail import ConfirmScreen

from .conftest import make_bank
from .test_cards_service import _bank


def _load(services: Services) -> Services:
    import_bank(services.engine, _bank(), checksum="browse")
    return services


async def _settle(app, pilot) -> None:
    for _ in range(5):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


async def _open(app, pilot) -> BrowserScreen:
    await _settle(app, pilot)
    await pilot.press("b")
    await _settle(app, pilot)
    assert isinstance(app.screen, BrowserScreen)
    return app.screen


async def _search(app, pilot, text: str) -> None:
    await pilot.press("slash")
    box = app.screen.query_one("#search", Input)
    assert box.has_focus
    box.value = text
    await pilot.press("enter")
    await _settle(app, pilot)


def _rows(app) -> list[list[str]]:
    table = app.screen.query_one("#results", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def _drawn(app, selector: str) -> str:
    """What a widget shows on screen now, line by line (markup would have been consumed)."""
    widget = app.screen.query_one(selector)
    return "\n".join(widget.render_line(y).text for y in range(widget.size.height))


def _ids(app) -> list[str]:
    return [r[1] for r in _rows(app)]


def _text(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def _cards(services: Services, column: str) -> set[str]:
    with services.engine.connect() as conn:
        return {
            r.item_id
            for r in conn.execute(sa.select(CARD.c.item_id).where(CARD.c[column].is_(True)))
        }


async def _goto(app, pilot, item_id: str) -> None:
    table = app.screen.query_one("#results", DataTable)
    table.move_cursor(row=table.get_row_index(item_id))
    await _settle(app, pilot)


def _footer_keys(app) -> dict[str, str]:
    return {
        key: b.binding.description
        for key, b in app.screen.active_bindings.items()
        if b.binding.show and b.enabled and b.node is app.screen
    }


async def test_search_filters_and_errors_are_shown(services: Services) -> None:
    app = make_app(_load(services))
    async with app.run_test(size=(120, 36)) as pilot:
        await _open(app, pilot)
        assert _ids(app) == ["cb-htn", "cb-hf", "cb-code", "cb-flash", "cb-markup"]
        assert _text(app, "#status").startswith("5 matches")
        await _search(app, pilot, "exam:cpc topic:hypertension")
        assert _ids(app) == ["cb-htn", "cb-hf"]
        assert _text(app, "#status").startswith("2 matches")
        await _search(app, pilot, '"heart failure" -is:suspended')
        assert _ids(app) == ["cb-hf"]
        await _search(app, pilot, "exam:cpx")
        assert "valid exams: ccs, cpb, cpc" in _text(app, "#status")
        assert _ids(app) == ["cb-hf"]  # the last good search stays
        await pilot.press("escape", "escape")  # out of the search box, then out of the browser
        await _settle(app, pilot)
        assert isinstance(app.screen, HomeScreen)


async def test_escape_in_the_search_box_leaves_the_box_then_the_browser(
    services: Services,
) -> None:
    app = make_app(_load(services))
    async with app.run_test(size=(120, 36)) as pilot:
        await _open(app, pilot)
        await _search(app, pilot, "topic:hypertension")
        assert _ids(app) == ["cb-htn", "cb-hf"]
        assert _footer_keys(app)["escape"] == "Back"
        await pilot.press("slash", "z", "z")  # an edit not run yet
        box = app.screen.query_one("#search", Input)
        assert box.value == "zz" and box.has_focus
        assert _footer_keys(app)["escape"] == "Leave search"
        await pilot.press("escape")
        await _settle(app, pilot)
        assert isinstance(app.screen, BrowserScreen)  # still browsing
        assert app.screen.query_one("#results", DataTable).has_focus
        assert box.value == "topic:hypertension"  # the box says what the table shows
        assert _ids(app) == ["cb-htn", "cb-hf"]
        assert _footer_keys(app)["escape"] == "Back"
        await pilot.press("escape")
        await _settle(app, pilot)
        assert isinstance(app.screen, HomeScreen)


async def test_select_suspend_and_unsuspend(services: Services) -> None:
    app = make_app(_load(services))
    async with app.run_test(size=(120, 36)) as pilot:
        await _open(app, pilot)
        await pilot.press("down", "space", "down", "space")  # cb-hf and cb-code
        assert _text(app, "#status") == "5 matches · 2 selected"
        assert [r[0] for r in _rows(app)] == [" ", "●", "●", " ", " "]
        await pilot.press("s")
        await _settle(app, pilot)
        assert _cards(services, "suspended") == {"cb-hf", "cb-code"}
        states = {r[1]: r[4] for r in _rows(app)}
        assert states["cb-hf"] == "new · suspended" and states["cb-htn"] == "new"
        await pilot.press("c")  # clear the selection: the cursor row alone
        await _settle(app, pilot)
        await _goto(app, pilot, "cb-hf")
        await pilot.press("u")
        await _settle(app, pilot)
        assert _cards(services, "suspended") == {"cb-code"}
        assert "suspended" not in _text(app, "#detail")
        await _search(app, pilot, "is:suspended")
        assert _ids(app) == ["cb-code"]


async def test_select_all_takes_every_result_not_just_the_page(services: Services) -> None:
    import_bank(services.engine, make_bank(230, name="many"), checksum="many")
    app = make_app(services)
    async with app.run_test(size=(120, 36)) as pilot:
        await _open(app, pilot)
        assert len(_ids(app)) == 100
        assert "page 1 of 3" in _text(app, "#status")
        await pilot.press("n")
        await _settle(app, pilot)
        assert _ids(app)[0] == "many-00100"
        await pilot.press("p")
        await _settle(app, pilot)
        assert _ids(app)[0] == "many-00000"
        await pilot.press("a")
        await _settle(app, pilot)
        assert "230 selected" in _text(app, "#status")
        await pilot.press("f")
        await _settle(app, pilot)
        assert len(_cards(services, "flagged")) == 230
        await pilot.press("f")  # all flagged: the same key unflags them
        await _settle(app, pilot)
        assert _cards(services, "flagged") == set()


async def test_detail_pane_shows_the_item_and_its_history(services: Services, clock) -> None:
    _load(services)
    session = ReviewSession(services)
    session.rate(session.load_card("cb-hf"), Rating.AGAIN)
    clock.advance(minutes=2)
    session.rate(session.load_card("cb-hf"), Rating.GOOD)
    app = make_app(services)
    async with app.run_test(size=(120, 36)) as pilot:
        await _open(app, pilot)
        assert "cb-htn" in _text(app, "#detail")  # the first row
        assert "Never reviewed." in _text(app, "#detail")
        await pilot.press("down")
        await _settle(app, pilot)
        detail = _text(app, "#detail")
        assert "A patient has hypertensive heart disease" in detail
        assert "✔ a) I11.0, I50.32" in detail
        assert "History (2)" in detail
        lines = detail[detail.index("History (2)") :].splitlines()
        assert "Good" in lines[1] and "Again" in lines[2]  # newest first
        assert "Topics: heart-failure, hypertension" in detail
        assert "State learning" in detail


async def test_markup_looking_stems_are_shown_literally(services: Services) -> None:
    app = make_app(_load(services))
    async with app.run_test(size=(120, 36)) as pilot:
        await _open(app, pilot)
        await _search(app, pilot, "[bold]")
        assert _ids(app) == ["cb-markup"]
        assert "[bold]x[/bold] 100% of claims_total?" in _drawn(app, "#results")
        assert "[bold]x[/bold] 100% of claims_total?" in _text(app, "#detail")
        await _search(app, pilot, "topic:[red]oops")
        assert "[red]oops" in _text(app, "#status")


async def test_every_footer_key_does_what_it_says(services: Services, clock) -> None:
    _load(services)
    session = ReviewSession(services)
    for item in ("cb-htn", "cb-hf", "cb-code"):
        session.rate(session.load_card(item), Rating.GOOD)
    session.bury(session.load_card("cb-flash"))

    def logs(item_id: str) -> int:
        with services.engine.connect() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count()).where(REVIEW_LOG.c.item_id == item_id)
                ).scalar_one()
            )

    app = make_app(services)
    async with app.run_test(size=(120, 36)) as pilot:
        await _open(app, pilot)
        footer = _footer_keys(app)
        assert set(footer) == {"escape", "s", "u", "b", "f", "r", "x"}
        await _goto(app, pilot, "cb-htn")
        await pilot.press("s")
        await _settle(app, pilot)
        assert _cards(services, "suspended") == {"cb-htn"}
        await pilot.press("u")
        await _settle(app, pilot)
        assert _cards(services, "suspended") == set()
        await _goto(app, pilot, "cb-flash")
        assert "buried" in {r[1]: r[4] for r in _rows(app)}["cb-flash"]
        await pilot.press("b")
        await _settle(app, pilot)
        assert "buried" not in {r[1]: r[4] for r in _rows(app)}["cb-flash"]
        await pilot.press("f")
        await _settle(app, pilot)
        assert _cards(services, "flagged") == {"cb-flash"}
        await pilot.press("f")
        await _settle(app, pilot)
        assert _cards(services, "flagged") == set()
        await pilot.press("m")
        await _settle(app, pilot)
        assert _cards(services, "marked") == {"cb-flash"}
        await _goto(app, pilot, "cb-hf")
        await pilot.press("r")
        await _settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")  # cancel: nothing changes
        await _settle(app, pilot)
        assert {r[1]: r[4] for r in _rows(app)}["cb-hf"] == "learning"
        await pilot.press("r")
        await _settle(app, pilot)
        await pilot.press("y")
        await _settle(app, pilot)
        assert {r[1]: r[4] for r in _rows(app)}["cb-hf"] == "new"
        assert logs("cb-hf") == 1  # reset keeps the history
        await _goto(app, pilot, "cb-code")
        await pilot.press("x")
        await _settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await _settle(app, pilot)
        assert {r[1]: r[4] for r in _rows(app)}["cb-code"] == "new"
        assert logs("cb-code") == 0  # forget deletes it
        assert logs("cb-htn") == 1
        await pilot.press("escape")
        await _settle(app, pilot)
        assert isinstance(app.screen, HomeScreen)


async def test_a_search_that_ends_late_does_not_bring_back_old_rows(
    services: Services, monkeypatch
) -> None:
    """Confirming a reset brings the browser back (it searches) while the reset is written (then
    it searches again). When the first search read the rows before the reset and ends last, the
    table must still show the card as reset, not the rows from before it."""
    import asyncio
    import threading

    from textual.worker import Worker, get_current_worker

    from certprep.services.cards import CardBrowser

    _load(services)
    session = ReviewSession(services)
    session.rate(session.load_card("cb-hf"), Rating.GOOD)
    search, apply = CardBrowser.search, CardBrowser.apply
    read, release = threading.Event(), threading.Event()
    late: list[Worker] = []

    def slow_search(self, query, **kw):
        page = search(self, query, **kw)
        if armed and not late:  # the first search after the answer: read now, end last
            late.append(get_current_worker())
            read.set()
            release.wait(10)
        return page

    def reset_after_that_read(self, action, ids):
        read.wait(10)
        return apply(self, action, ids)

    armed = False
    monkeypatch.setattr(CardBrowser, "search", slow_search)
    monkeypatch.setattr(CardBrowser, "apply", reset_after_that_read)
    app = make_app(services)
    async with app.run_test(size=(120, 36)) as pilot:
        await _open(app, pilot)
        await _goto(app, pilot, "cb-hf")
        await pilot.press("r")
        await _settle(app, pilot)
        armed = True
        await pilot.press("y")
        assert await asyncio.to_thread(read.wait, 10)  # the late search has read the rows
        for _ in range(5):  # the reset and the search after it, not the late one
            await pilot.pause()
            others = [w for w in app.workers if w not in late]
            if others:  # (none given, wait_for_complete would wait for every worker)
                await app.workers.wait_for_complete(others)
        assert late
        assert {r[1]: r[4] for r in _rows(app)}["cb-hf"] == "new"
        release.set()
        await late[0].wait()  # its rows, read before the reset, have arrived
        await _settle(app, pilot)
        assert {r[1]: r[4] for r in _rows(app)}["cb-hf"] == "new"


async def test_keys_that_cannot_act_leave_the_footer(services: Services) -> None:
    app = make_app(_load(services))
    async with app.run_test(size=(120, 36)) as pilot:
        await _open(app, pilot)
        await pilot.press("slash")  # typing in the search box: letters are text there
        await pilot.pause()
        assert set(_footer_keys(app)) == {"escape"}
        await pilot.press("z", "s", "q")
        assert app.screen.query_one("#search", Input).value == "zsq"
        assert _cards(services, "suspended") == set()
        await pilot.press("enter")  # no match: nothing to act on
        await _settle(app, pilot)
        assert _ids(app) == []
        assert set(_footer_keys(app)) == {"escape"}


async def test_the_browser_is_in_the_command_palette(services: Services) -> None:
    app = make_app(_load(services))
    async with app.run_test(size=(120, 36)) as pilot:
        await _settle(app, pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Browse cards" in titles
        home = app.screen
        assert "b" in home.active_bindings


async def test_a_database_that_refuses_the_write_is_a_notice(
    services: Services, monkeypatch
) -> None:
    from sqlalchemy.exc import OperationalError

    from certprep.services.cards import CardBrowser

    def locked(self, action, ids):
        raise OperationalError("UPDATE card", {}, Exception("database is locked"))

    app = make_app(_load(services))
    async with app.run_test(size=(120, 36)) as pilot:
        await _open(app, pilot)
        monkeypatch.setattr(CardBrowser, "apply", locked)
        await pilot.press("s")
        await _settle(app, pilot)
        assert isinstance(app.screen, BrowserScreen)  # still here, no traceback
        notes = [n.message for n in app._notifications]
        assert any("another certprep is holding the database" in m for m in notes)
        assert any("Nothing was saved" in m for m in notes)
        assert _cards(services, "suspended") == set()


def _browser_snapshot(keys: tuple[str, ...]):
    async def run_before(pilot) -> None:
        app = pilot.app
        await _open(app, pilot)
        for k in keys:
            await pilot.press(k)
            await _settle(app, pilot)

    return run_before


def test_snapshot_120x36(snap_compare, services: Services) -> None:
    app = make_app(_load(services))
    assert snap_compare(
        app, terminal_size=(120, 36), run_before=_browser_snapshot(("down", "space"))
    )


def test_snapshot_80x24(snap_compare, services: Services) -> None:
    app = make_app(_load(services))
    assert snap_compare(
        app, terminal_size=(80, 24), run_before=_browser_snapshot(("down", "space"))
    )
