"""Before an exam is submitted: how many questions are unanswered and flagged."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Static


class ConfirmSubmitScreen(ModalScreen[bool]):
    """Submit now, or keep working. Dismisses with True to submit."""

    DEFAULT_CSS = """
    ConfirmSubmitScreen { align: center middle; }
    ConfirmSubmitScreen > Vertical {
        width: 64; height: auto; border: round $warning; background: $surface; padding: 1 2;
    }
    ConfirmSubmitScreen #counts { height: auto; margin-bottom: 1; }
    ConfirmSubmitScreen Horizontal { height: auto; align-horizontal: center; }
    ConfirmSubmitScreen Button { margin: 0 1; }
    """
    BINDINGS = [
        Binding("y,enter", "confirm", "Submit"),
        Binding("n,escape", "cancel", "Keep working"),
    ]

    def __init__(self, total: int, unanswered: int, flagged: int) -> None:
        super().__init__()
        self.total = total
        self.unanswered = unanswered
        self.flagged = flagged

    def message(self) -> Text:
        t = Text("Submit the exam?\n\n", style="bold")
        t.append(f"{self.total - self.unanswered} of {self.total} questions answered.\n")
        t.append(
            f"{self.unanswered} unanswered\n",
            style="bold red" if self.unanswered else "",
        )
        t.append(
            f"{self.flagged} flagged for review\n", style="bold yellow" if self.flagged else ""
        )
        t.append("\nAfter submitting you cannot change any answer.")
        return t

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.message(), id="counts")
            with Horizontal():
                yield Button("Submit (y)", id="submit", variant="warning")
                yield Button("Keep working (n)", id="cancel")
        yield Footer()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "submit")

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
