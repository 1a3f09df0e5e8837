"""The code-book panel: search ICD-10-CM and ICD-10-PCS beside a question, read a code's notes.

    panel = CodeBookPanel(services, on_lookup=callback, context="exam")
    panel.set_question(attempt_id, item_id)   # lookups are logged with the question on screen
    panel.open("E11.22")                      # show it, focus the search box (query optional)
    panel.close()                             # hide it (escape does this too)

Keys inside the panel: type to search (a code, a prefix with or without its dot, or words);
down/enter to pick a result; ctrl+t cycles the code system (all, cm, pcs, drg); ctrl+b browses
the ICD-10-CM chapters or the PCS sections; / goes back to the search box; escape closes. A PCS prefix lists the valid next
characters with their meanings, so a code is built axis by axis.

Mounting it: put it in a Horizontal after the question, give the question `width: 1fr`, start
it hidden (`panel.display = False`), bind a screen key to ``panel.open()`` (not ctrl+k: the
search box uses it to delete to the end of the line) and call ``set_question`` as the learner
moves. ``CodeBookPanel.Closed`` is posted on escape; ``CodeBookPanel.Looked`` on each lookup.

Each search the learner submits (enter) or a code they open is logged (services given) and
passed to ``on_lookup(Lookup)``, with ``spent_s``: the learner's time in the book since the
panel opened, the question changed or the previous lookup. Table text is shown as plain text,
never as markup.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from certprep.core import codebook as cb
from certprep.services.codebook import CodeBook, Lookup, SearchResult, code_book, log_lookup
from certprep.tui.widgets.codebook_text import (
    PCS_REF,
    cm_text,
    hit_option,
    hit_text,
    pcs_option,
    pcs_text,
)

if TYPE_CHECKING:
    from certprep.services import Services

SYSTEMS: tuple[str | None, ...] = (None, "cm", "pcs", "drg")
SYSTEM_NAMES = {None: "all", "cm": "ICD-10-CM", "pcs": "ICD-10-PCS", "drg": "CC/MCC"}
FOOTER = "ICD-10-CM FY2026 · ICD-10-PCS · MS-DRG v43.  CPT is not here: use your own CPT book."


class CodeBookPanel(Vertical):
    """Search box, results, and the entry picked: dock it beside a question."""

    DEFAULT_CSS = """
    CodeBookPanel { width: 60; min-width: 40; border-left: solid $primary; padding: 0 1; }
    CodeBookPanel #codebook-filter { color: $text-muted; height: auto; }
    CodeBookPanel #codebook-results { height: auto; max-height: 40%; min-height: 3; }
    /* the scrollbar's room kept: a result's wrapped lines are counted at the width drawn */
    CodeBookPanel #codebook-results { scrollbar-gutter: stable; }
    CodeBookPanel #codebook-detail-scroll { height: 1fr; }
    CodeBookPanel #codebook-footer { color: $text-muted; height: auto; }
    """
    BINDINGS = [
        Binding("escape", "close", "Close the code book"),
        Binding("ctrl+t", "cycle_system", "Code system"),
        Binding("ctrl+b", "browse", "Browse"),
        Binding("slash", "focus_search", "Search", show=False),
    ]

    class Looked(Message):
        """A lookup was made (and logged)."""

        def __init__(self, lookup: Lookup) -> None:
            self.lookup = lookup
            super().__init__()

    class Closed(Message):
        """The learner closed the panel (escape)."""

    def __init__(
        self,
        services: Services | None = None,
        *,
        book: CodeBook | None = None,
        on_lookup: Callable[[Lookup], None] | None = None,
        context: str = "exam",
        clock: Callable[[], float] = time.monotonic,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.services = services
        self.book = book or code_book()
        self.on_lookup = on_lookup
        self.context = context
        self.attempt_id: int | None = None
        self.item_id: str | None = None
        self.system: str | None = None
        self.last: SearchResult | None = None
        self._browsing = False  # the results list shows a level of the hierarchy
        self._clock = clock
        self._since = clock()  # the learner's time in the book is counted from here

    def compose(self) -> ComposeResult:
        yield Input(placeholder="Code or words, e.g. E11.22 or asthma", id="codebook-query")
        yield Static(self._filter_text(), id="codebook-filter")
        yield OptionList(id="codebook-results")
        with VerticalScroll(id="codebook-detail-scroll"):
            yield Static(Text("", no_wrap=False), id="codebook-detail")
        yield Static(Text(FOOTER), id="codebook-footer")

    def on_mount(self) -> None:
        if not self.book.ready:
            self._detail(Text("Preparing the code book (once, a few seconds)…"))
            self._prepare()

    @work(thread=True, exclusive=True, group="codebook-build")
    def _prepare(self) -> None:
        try:
            self.book.build()
        except Exception as exc:  # an unwritable data folder, a full disk: say so, keep the exam
            self.app.call_from_thread(
                self._detail, Text(f"The code book cannot be prepared: {exc}")
            )
            return
        self.app.call_from_thread(self._prepared)

    def _prepared(self) -> None:
        self._detail(Text(""))
        query = self.query_one("#codebook-query", Input).value
        if query.strip():  # typed while the index was being built
            self._search(query, log=False)

    # -- the API for screens ---------------------------------------------------------------
    def set_question(self, attempt_id: int | None, item_id: str | None) -> None:
        """The question on screen: the next lookups are logged with it (and timed from now)."""
        if (attempt_id, item_id) != (self.attempt_id, self.item_id):
            self._since = self._clock()
        self.attempt_id, self.item_id = attempt_id, item_id

    def open(self, query: str | None = None) -> None:
        """Show the panel and put the cursor in its search box (optionally with a query)."""
        if not self.display:
            self._since = self._clock()
        self.display = True
        box = self.query_one("#codebook-query", Input)
        if query is not None:
            box.value = query
        box.focus()

    def focus_search(self) -> None:
        """Put the cursor in the search box (the `/` key inside the panel does this too)."""
        self.query_one("#codebook-query", Input).focus()

    def action_focus_search(self) -> None:
        self.focus_search()

    def close(self) -> None:
        """Hide the panel; the focus leaves it (back to the screen's next focusable widget)."""
        if self.has_focus_within:
            self.screen.set_focus(None)
        self.display = False
        self.post_message(self.Closed())

    # -- actions ---------------------------------------------------------------------------
    def action_close(self) -> None:
        self.close()

    def action_cycle_system(self) -> None:
        self.system = SYSTEMS[(SYSTEMS.index(self.system) + 1) % len(SYSTEMS)]
        self.query_one("#codebook-filter", Static).update(self._filter_text())
        self._search(self.query_one("#codebook-query", Input).value, log=False)

    def action_browse(self) -> None:
        if self.system == "pcs":
            self._show_pcs_choices("")
        else:
            self._show_cm_children(None)

    def _filter_text(self) -> Text:
        return Text(f"Searching: {SYSTEM_NAMES[self.system]}  (ctrl+t to change, ctrl+b browse)")

    # -- search ----------------------------------------------------------------------------
    @on(Input.Changed, "#codebook-query")
    def _changed(self, event: Input.Changed) -> None:
        self._search(event.value, log=False)

    @on(Input.Submitted, "#codebook-query")
    def _submitted(self, event: Input.Submitted) -> None:
        self._search(event.value, log=True, focus=True)

    @work(thread=True, exclusive=True, group="codebook-search")
    def _search(self, query: str, log: bool, focus: bool = False) -> None:
        if not query.strip() or not self.book.ready:
            return
        result = self.book.search(query, self.system, limit=40)
        choices: list[Any] = []
        norm = cb.normalise_code(query)
        pcs_prefix = (
            result.by_code and result.hits and result.hits[0].system == "pcs" and len(norm) < 7
        )
        if pcs_prefix:
            choices = self.book.pcs_choices(norm)
        self.app.call_from_thread(self._show_results, result, choices, norm, focus)
        if log:
            self.app.call_from_thread(self._log, query, result, None)

    def _show_results(
        self, result: SearchResult, pcs_choices: list[Any], prefix: str, focus: bool = False
    ) -> None:
        self.last = result
        self._browsing = False
        results = self.query_one("#codebook-results", OptionList)
        results.clear_options()
        if focus and (pcs_choices or result.hits):  # enter: move to the first result
            results.focus()
        if pcs_choices:
            detail = self.book.pcs(prefix)
            self._detail(pcs_text(detail, pcs_choices))
            results.add_options(pcs_option(prefix, c) for c in pcs_choices)
            results.highlighted = 0
            return
        if not result.hits:
            self._detail(Text(f"No codes found for {result.query!r}."))
            return
        results.add_options(hit_option(h) for h in result.hits)
        results.highlighted = 0
        n = len(result.hits)
        found = f"{n} result{'' if n == 1 else 's'} in {result.elapsed_ms:.1f} ms"
        self._detail(Text(found, style="dim"))

    @on(OptionList.OptionSelected, "#codebook-results")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        key = event.option.id or ""
        kind, _, code = key.partition(":")
        if kind == "cm":
            self._show_cm(code)
        elif kind == "pcs":
            self._show_pcs(code)
        elif kind == "pcsnext":
            self._show_pcs_choices(code)
        elif kind == "browse":
            self._show_cm_children(code)
        elif kind == "pcsindex":
            self._show_pcs_index(code)

    def _show_cm(self, code: str) -> None:
        detail = self.book.cm(code)
        if detail is None:
            return
        if detail.entry.kind in ("chapter", "block") or (self._browsing and detail.children):
            self._show_cm_children(detail.entry.code)  # browsing: go down a level
        self._detail(cm_text(detail))
        self._log(code, self.last, code)

    def _show_pcs(self, code: str) -> None:
        detail = self.book.pcs(code)
        self._detail(pcs_text(detail, []))
        self._log(code, self.last, code)

    def _show_pcs_index(self, term: str) -> None:
        """An index entry, and the codes it points to as choices to follow."""
        lines = self.book.pcs_index(term) or []
        text = Text()
        text.append(f"ICD-10-PCS Index: {term}\n", style="bold")
        for line in lines:
            text.append(f"  {line}\n")
        self._detail(text)
        self._log(term, self.last, None)
        results = self.query_one("#codebook-results", OptionList)
        results.clear_options()
        seen: set[str] = set()
        for line in lines:
            for ref in PCS_REF.findall(line):
                if ref in seen:
                    continue
                seen.add(ref)
                target = f"pcs:{ref}" if len(ref) == 7 else f"pcsnext:{ref}"
                label = Text()
                label.append(f"{ref:<9} ", style="bold")
                label.append(" ".join(line.split()))
                results.add_option(Option(label, id=target))
        if results.option_count:
            results.highlighted = 0

    def _show_cm_children(self, code: str | None) -> None:
        self._browsing = True
        results = self.query_one("#codebook-results", OptionList)
        results.clear_options()
        for child in self.book.cm_children(code):
            is_leafish = child.kind in ("category", "code")
            option_id = f"cm:{child.code}" if is_leafish else f"browse:{child.code}"
            label = f"Chapter {child.code}" if child.kind == "chapter" else child.code
            results.add_option(
                Option(hit_text(label, child.title, child.billable, child.kind, None), id=option_id)
            )
        results.highlighted = 0 if results.option_count else None
        results.focus()

    def _show_pcs_choices(self, prefix: str) -> None:
        """The valid next characters after a PCS prefix (the prefix goes in the search box)."""
        box = self.query_one("#codebook-query", Input)
        with box.prevent(Input.Changed):  # a letter prefix (B2...) would search ICD-10-CM too
            box.value = prefix
        choices = self.book.pcs_choices(prefix)
        if prefix:
            self._detail(pcs_text(self.book.pcs(prefix), choices))
        results = self.query_one("#codebook-results", OptionList)
        results.clear_options()
        results.add_options(pcs_option(prefix, c) for c in choices)
        results.highlighted = 0 if results.option_count else None
        results.focus()

    def _detail(self, text: Text) -> None:
        self.query_one("#codebook-detail", Static).update(text)

    def _log(self, query: str, result: SearchResult | None, code: str | None) -> None:
        now = self._clock()
        spent, self._since = max(0.0, now - self._since), now
        lookup = Lookup(
            query=query,
            results=len(result.hits) if result else 0,
            elapsed_ms=result.elapsed_ms if result else 0.0,
            system=self.system,
            context=self.context,
            attempt_id=self.attempt_id,
            item_id=self.item_id,
            code=code,
            spent_s=round(spent, 3),
        )
        if self.services is not None:
            log_lookup(self.services, lookup)
        if self.on_lookup is not None:
            self.on_lookup(lookup)
        self.post_message(self.Looked(lookup))
