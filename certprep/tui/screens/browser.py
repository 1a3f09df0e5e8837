"""The card browser: search the collection, see an item with its history, fix many cards at once.

The search box takes the syntax of ``certprep cards`` (see certprep.services.cards). Actions act
on the selected rows (space, ``a`` for every result), or on the row under the cursor when none is
selected; each commits at once. Reset and forget ask first.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from certprep.core.problems import InputError
from certprep.services.cards import (
    ACTIONS,
    CardBrowser,
    CardQuery,
    Page,
    due_label,
    plain,
    state_label,
)
from certprep.services.services import Services
from certprep.tui.errors import describe_open_error
from certprep.tui.widgets.card_detail import ConfirmScreen, detail_text
from certprep.tui.widgets.hanging import hanging

PAGE = 100
ROW_ACTIONS = {"toggle_select", "select_all", "suspend", "unsuspend", "unbury", "flag", "mark"}
ROW_ACTIONS |= {"reset", "forget"}
KEYS = "space select · a select all · c clear · / search · m mark± · n/p page"
HINT = 'exam:cpc section:em is:suspended topic:… code:E11.9 "a phrase"  (-term negates)'


class BrowserScreen(Screen[None]):
    """Search items and their cards; act on a selection."""

    DEFAULT_CSS = """
    BrowserScreen #search { margin: 0 1; }
    BrowserScreen #status { height: 1; padding: 0 2; }
    BrowserScreen #status.error { color: $error; }
    BrowserScreen #keys { height: 1; padding: 0 2; color: $text-muted; }
    BrowserScreen #results { height: 1fr; }
    BrowserScreen #detail-pane { height: 1fr; border-top: solid $primary; padding: 0 1; }
    """
    BINDINGS = [
        # escape in the search box leaves the box (the table shows again), then the browser
        Binding("escape", "leave_search", "Leave search"),
        Binding("escape", "back", "Back"),
        Binding("s", "suspend", "Suspend"),
        Binding("u", "unsuspend", "Unsuspend"),
        Binding("b", "unbury", "Unbury"),
        Binding("f", "flag", "Flag±"),
        Binding("r", "reset", "Reset"),
        Binding("x", "forget", "Forget"),
        # named in the line of keys under the search box, to keep the footer short at 80 columns
        Binding("space", "toggle_select", "Select", show=False),
        Binding("a", "select_all", "Select all", show=False),
        Binding("c", "clear_selection", "Clear selection", show=False),
        Binding("m", "mark", "Mark±", show=False),
        Binding("slash", "focus_search", "Search", key_display="/", show=False),
        Binding("n", "next_page", "Next page", show=False),
        Binding("p", "prev_page", "Previous page", show=False),
    ]

    def __init__(self, services: Services, query: str = "") -> None:
        super().__init__()
        self.services = services
        self.browser = CardBrowser(services)
        self.initial = query
        self.search_text = (
            query  # the search the table shows (the box may hold an edit not run yet)
        )
        self.query_obj: CardQuery | None = None
        self.page: Page | None = None
        self.page_offset = 0
        self.selected: set[str] = set()
        self.shown: list[str] = []  # item ids on this page
        self._searches = 0  # searches started; the last one's rows are the ones shown

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(value=self.initial, placeholder=HINT, id="search")
        yield Static("Searching…", id="status", markup=False)
        yield Static(KEYS, id="keys", markup=False)
        yield DataTable(id="results", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="detail-pane"):
            yield Static("", id="detail", markup=False)
        yield Footer(compact=True, show_command_palette=False)  # every key fits 80 columns

    def on_mount(self) -> None:
        table = self.query_one("#results", DataTable)
        table.add_column(" ", key="sel", width=1)
        for label, key in (
            ("Id", "id"),
            ("Exam", "exam"),
            ("Section", "section"),
            ("State", "state"),
            ("Due", "due"),
            ("Question", "stem"),
        ):
            table.add_column(label, key=key)
        table.focus()
        self.search(self.initial, 0)

    def on_screen_resume(self) -> None:
        if self.query_obj is not None:
            self.search(self.search_text, self.page_offset)

    # -- which keys act now ----------------------------------------------------------------
    def _search_focused(self) -> bool:
        return isinstance(self.focused, Input)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ROW_ACTIONS:
            return not self._search_focused() and bool(self.page and self.page.rows)
        if action == "clear_selection":
            return not self._search_focused() and bool(self.selected)
        if action == "focus_search":
            return not self._search_focused()
        if action == "leave_search":
            return self._search_focused()
        if action == "back":
            return not self._search_focused()
        if action == "next_page":
            return bool(self.page and self.page_offset + PAGE < self.page.total)
        if action == "prev_page":
            return self.page_offset > 0
        return True

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()

    def on_descendant_blur(self) -> None:
        self.refresh_bindings()

    # -- searching -------------------------------------------------------------------------
    @on(Input.Submitted, "#search")
    def submitted(self, event: Input.Submitted) -> None:
        self.selected.clear()
        self.search(event.value, 0)

    def search(self, text: str, offset: int) -> None:
        """Search off the UI thread; only the newest search's outcome is shown.

        Searches overlap (confirming a reset resumes this screen, which searches, while the reset
        is written; the reset searches again when done). An older search can finish last and hold
        rows read before the change: it is dropped by its number, not cancelled (a cancelled
        thread runs on and would still deliver its rows).
        """
        self._searches += 1
        self._search(text, offset, self._searches)

    @work(thread=True, group="browser-search")
    def _search(self, text: str, offset: int, number: int) -> None:
        try:
            query = self.browser.parse(text)
            page = self.browser.search(query, offset=offset, limit=PAGE)
        except Exception as exc:
            message = describe_open_error(exc)
            if message is None:
                raise
            self.app.call_from_thread(self._failed, number, message, isinstance(exc, InputError))
            return
        self.app.call_from_thread(self._show, number, text, query, page)

    def _failed(self, number: int, message: str, bad_search: bool) -> None:
        if number != self._searches:
            return
        status = self.query_one("#status", Static)
        status.add_class("error")
        status.update(Text(message))
        if bad_search:
            self.query_one("#search", Input).focus()
        else:
            self.notify(message, severity="error", timeout=10)

    def _show(self, number: int, text: str, query: CardQuery, page: Page) -> None:
        if number != self._searches:
            return  # a newer search is on its way: these rows may predate a change
        table = self.query_one("#results", DataTable)
        keep = self._cursor_id()
        self.search_text, self.query_obj, self.page, self.page_offset = (
            text,
            query,
            page,
            page.offset,
        )
        now = self.services.clock()
        table.clear()
        self.shown = [r.item_id for r in page.rows]
        for r in page.rows:
            table.add_row(
                self._mark(r.item_id),
                Text(plain(r.item_id)),
                Text(",".join(r.exams)),
                Text(plain(r.section)),
                Text(state_label(r, now)),
                Text(due_label(r.due)[:10]),
                Text(plain(r.stem, 80)),
                key=r.item_id,
            )
        if keep is not None and keep in self.shown:
            table.move_cursor(row=table.get_row_index(keep))
        self._status()
        self.refresh_bindings()
        if page.rows:
            self.show_detail(self._cursor_id())
        else:
            self.query_one("#detail", Static).update(Text("No item matches this search."))
        if self._search_focused() and page.rows:
            table.focus()

    def _mark(self, item_id: str) -> Text:
        return Text("●" if item_id in self.selected else " ", style="bold yellow")

    def _status(self) -> None:
        status = self.query_one("#status", Static)
        status.remove_class("error")
        page = self.page
        if page is None:
            return
        pages = max(1, -(-page.total // PAGE))
        t = Text(f"{page.total} match{'es' if page.total != 1 else ''}")
        if page.total > PAGE:
            t.append(f" · page {self.page_offset // PAGE + 1} of {pages} (n next, p previous)")
        if self.selected:
            t.append(f" · {len(self.selected)} selected", style="bold yellow")
        status.update(t)

    def _cursor_id(self) -> str | None:
        table = self.query_one("#results", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return str(key) if key is not None else None

    @on(DataTable.RowHighlighted, "#results")
    def highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self.show_detail(str(event.row_key.value))

    def show_detail(self, item_id: str | None) -> None:
        if item_id is None:
            return
        try:
            detail = self.browser.detail(item_id)
        except Exception as exc:
            message = describe_open_error(exc)
            if message is None:
                raise
            self.query_one("#detail", Static).update(Text(message))
            return
        self.query_one("#detail", Static).update(hanging(detail_text(detail)))

    # -- selection -------------------------------------------------------------------------
    def action_toggle_select(self) -> None:
        item_id = self._cursor_id()
        if item_id is None:
            return
        self.selected ^= {item_id}
        self.query_one("#results", DataTable).update_cell(item_id, "sel", self._mark(item_id))
        self._status()
        self.refresh_bindings()

    @work(thread=True, exclusive=True, group="browser-select")
    def action_select_all(self) -> None:
        if self.query_obj is None:
            return
        ids = self.browser.ids(self.query_obj)
        self.app.call_from_thread(self._select, set(ids))

    def _select(self, ids: set[str]) -> None:
        self.selected = ids
        table = self.query_one("#results", DataTable)
        for item_id in self.shown:
            table.update_cell(item_id, "sel", self._mark(item_id))
        self._status()
        self.refresh_bindings()

    def action_clear_selection(self) -> None:
        self._select(set())

    # -- actions ---------------------------------------------------------------------------
    def _targets(self) -> list[str]:
        if self.selected:
            return sorted(self.selected)
        item_id = self._cursor_id()
        return [item_id] if item_id else []

    @work(thread=True, group="browser-act")  # not exclusive: every key press must land
    def act(self, action: str, ids: list[str]) -> None:
        try:
            if action in ("flag", "mark"):  # a toggle: off when every target has it on
                column = {"flag": "flagged", "mark": "marked"}[action]
                if self.browser.all_set(ids, column):
                    action = "un" + action
            result = self.browser.apply(action, ids)
        except Exception as exc:
            message = describe_open_error(exc)
            if message is None:
                raise
            self.app.call_from_thread(
                self.notify, f"{message}\nNothing was saved.", severity="error", timeout=10
            )
            return
        self.app.call_from_thread(self._acted, result.message())

    def _acted(self, message: str) -> None:
        self.notify(message)
        self.search(self.search_text, self.page_offset)

    def _run(self, action: str) -> None:
        ids = self._targets()
        if ids:
            self.act(action, ids)

    def action_suspend(self) -> None:
        self._run("suspend")

    def action_unsuspend(self) -> None:
        self._run("unsuspend")

    def action_unbury(self) -> None:
        self._run("unbury")

    def action_flag(self) -> None:
        self._run("flag")  # or unflag, when every target is flagged already

    def action_mark(self) -> None:
        self._run("mark")  # or unmark

    def _confirm(self, action: str, question: str) -> None:
        ids = self._targets()
        if not ids:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.act(action, ids)

        n = len(ids)
        cards = f"{n} card{'s' if n != 1 else ''}"
        self.app.push_screen(
            ConfirmScreen(question.format(cards=cards), ACTIONS[action][0].split(" (")[0]),
            answered,
        )

    def action_reset(self) -> None:
        self._confirm(
            "reset",
            "Reset {cards} to new? Their memory state, due dates and lapse counts are cleared; "
            "their review history is kept.",
        )

    def action_forget(self) -> None:
        self._confirm(
            "forget",
            "Forget {cards}? They go back to new and their review history is deleted. "
            "This cannot be undone.",
        )

    # -- paging and leaving ----------------------------------------------------------------
    def action_next_page(self) -> None:
        if self.page and self.page_offset + PAGE < self.page.total:
            self.search(self.search_text, self.page_offset + PAGE)

    def action_prev_page(self) -> None:
        if self.page_offset > 0:
            self.search(self.search_text, max(0, self.page_offset - PAGE))

    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_leave_search(self) -> None:
        """Give up the edit not run yet: the box shows the table's search again."""
        self.query_one("#search", Input).value = self.search_text
        self._status()
        self.query_one("#results", DataTable).focus()

    def action_back(self) -> None:
        self.dismiss(None)
