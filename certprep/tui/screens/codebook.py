"""The code book as its own screen (from home): the panel at full width.

app.push_screen(CodeBookScreen(services))
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header

from certprep.services.codebook import CodeBook
from certprep.tui.widgets.codebook import CodeBookPanel

if TYPE_CHECKING:
    from certprep.services import Services


class CodeBookScreen(Screen[None]):
    """Search and browse the code book; escape goes back."""

    DEFAULT_CSS = """
    CodeBookScreen CodeBookPanel { width: 1fr; border-left: none; }
    /* full width: one line a result, a long title cut with … (the code opened shows it whole);
       beside a question the panel is too narrow for that and its results wrap */
    CodeBookScreen #codebook-results { text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, services: Services | None = None, *, book: CodeBook | None = None) -> None:
        super().__init__()
        self.services = services
        self.book = book

    def compose(self) -> ComposeResult:
        yield Header()
        yield CodeBookPanel(self.services, book=self.book, context="home", id="codebook")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Code book"
        self.query_one(CodeBookPanel).open()

    def on_code_book_panel_closed(self, _event: CodeBookPanel.Closed) -> None:
        self.dismiss(None)
