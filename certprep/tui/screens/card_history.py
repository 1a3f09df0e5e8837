"""A card's history: its memory state now and every rating it was given (review, exam, import)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from certprep.core.scheduling import STATE_NAMES, Rating

RATING_NAMES = {
    Rating.AGAIN: "Again",
    Rating.HARD: "Hard",
    Rating.GOOD: "Good",
    Rating.EASY: "Easy",
}


def history_text(h: Any) -> Text:
    """The card's state and its ratings, newest last, as plain Text."""
    t = Text()
    t.append(f"Card {h.item_id}\n", style="bold")
    c = h.card
    t.append(f"state {STATE_NAMES[c.state]}   reviews {c.reps}   lapses {c.lapses}\n")
    if c.stability is not None:
        t.append(
            f"stability {c.stability:.2f} days   difficulty {c.difficulty or 0:.2f}   "
            f"retrievability now {h.retrievability:.0%}\n"
        )
    if c.due is not None:
        t.append(f"due {c.due.astimezone().strftime('%Y-%m-%d %H:%M')}\n")
    t.append("\n")
    if not h.entries:
        t.append("Never rated yet.\n")
    for e in h.entries:
        t.append(
            f"{e.reviewed_at.astimezone().strftime('%Y-%m-%d %H:%M')}  "
            f"{RATING_NAMES[Rating(e.rating)]:<6} ({e.source})\n"
        )
    return t


class HistoryScreen(ModalScreen[None]):
    """A card's past ratings and memory state."""

    DEFAULT_CSS = """
    HistoryScreen { align: center middle; }
    HistoryScreen > VerticalScroll { width: 80; height: 80%; border: round $accent; background: $surface; padding: 0 1; }
    """
    BINDINGS = [Binding("escape,q,i", "close", "Close")]

    def __init__(self, text: Text) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(self.text)

    def action_close(self) -> None:
        self.dismiss(None)
