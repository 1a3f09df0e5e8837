"""The review screen's keys beyond answering: undo, suspend, bury, flag, mark, the card's
history, the code book beside the card, and studying more after the day's cards."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.screen import Screen
from textual.widgets import Static

from certprep.services.review import ReviewSession, StudyCard
from certprep.services.services import Services
from certprep.tui.errors import safely
from certprep.tui.screens.card_history import HistoryScreen, history_text
from certprep.tui.widgets.codebook import CodeBookPanel


class ReviewKeys(Screen[None]):
    """Actions on the card on screen; ReviewScreen supplies the session and the rendering."""

    services: Services
    session: ReviewSession | None
    current: StudyCard | None
    phase: str
    rated: list[str]

    def next(self, card: StudyCard | None = None) -> None:
        raise NotImplementedError

    def _render_counts(self) -> None:
        raise NotImplementedError

    def start(self, extra_new: int = 0, extra_reviews: int = 0) -> Any:
        raise NotImplementedError

    @safely
    def action_undo(self) -> None:
        if self.session is None or not self.session.can_undo():
            self.notify("Nothing to undo.")
            return
        label = self.session.undo_label() or "the last action was taken back"
        answers = self.session.answered
        card = self.session.undo(self.current)
        if self.session.answered < answers and self.rated:  # an answer taken back
            self.rated.pop()
        self.query_one("#notice", Static).update(Text(f"Undone: {label}."))
        self.next(card)

    @safely
    def action_suspend(self) -> None:
        if self.session and self.current:
            self.session.suspend(self.current)
            self.query_one("#notice", Static).update(Text("Card suspended."))
            self.next()

    @safely
    def action_bury(self) -> None:
        if self.session and self.current:
            n = self.session.bury(self.current)
            self.query_one("#notice", Static).update(
                Text(f"Buried until tomorrow: {n} card{'s' if n > 1 else ''}.")
            )
            self.next()

    @safely
    def action_flag(self) -> None:
        if self.session and self.current:
            on_ = self.session.toggle_flag(self.current)
            self.notify("Flagged." if on_ else "Flag removed.")
            self._render_counts()

    @safely
    def action_mark(self) -> None:
        if self.session and self.current:
            on_ = self.session.toggle_mark(self.current)
            self.notify("Marked." if on_ else "Mark removed.")
            self._render_counts()

    def on_descendant_focus(self, event: object) -> None:
        self.refresh_bindings()  # a box taking typing changes which keys act

    def on_descendant_blur(self, event: object) -> None:
        self.refresh_bindings()

    def action_code_book(self) -> None:
        """Open the code book beside the card."""
        panel = self.query_one("#book", CodeBookPanel)
        panel.set_question(None, self.current.item.id if self.current else None)
        panel.open()

    def action_history(self) -> None:
        if self.session is None or self.current is None:
            return
        h = self.session.history(self.current.item.id)
        self.app.push_screen(HistoryScreen(history_text(h)))

    def action_study_more(self) -> None:
        if self.phase == "done" and self.session is not None:
            s = self.session
            self.start(extra_new=s.extra_new + 10, extra_reviews=s.extra_reviews + 50)

    def action_undo_anywhere(self) -> None:
        """ctrl+z undoes even while a box takes typing (u then types)."""
        self.action_undo()
