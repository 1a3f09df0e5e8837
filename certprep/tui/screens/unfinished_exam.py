"""Before a new exam starts while another is unfinished: resume it, abandon it, or start anyway."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Static

from certprep.services.exams import AttemptSummary

CHOICES = ("resume", "abandon", "start")


class UnfinishedExamScreen(ModalScreen[str | None]):
    """Dismisses with "resume", "abandon", "start" or None (back)."""

    DEFAULT_CSS = """
    UnfinishedExamScreen { align: center middle; }
    UnfinishedExamScreen > Vertical {
        width: 72; max-width: 95%; height: auto; border: round $warning; background: $surface;
        padding: 1 2;
    }
    UnfinishedExamScreen #what { height: auto; margin-bottom: 1; }
    UnfinishedExamScreen Horizontal { height: auto; }
    UnfinishedExamScreen Button { margin-right: 1; }
    """
    BINDINGS = [
        Binding("r", "choose('resume')", "Resume it"),
        Binding("a", "choose('abandon')", "Abandon it"),
        Binding("s", "choose('start')", "Start anyway"),
        Binding("escape", "choose('')", "Back"),
    ]

    def __init__(self, unfinished: list[AttemptSummary]) -> None:
        super().__init__()
        self.unfinished = unfinished

    def compose(self) -> ComposeResult:
        newest = self.unfinished[0]
        t = Text("An exam is still in progress\n\n", style="bold")
        t.append(f"{newest.title}, started {newest.started_at.astimezone():%Y-%m-%d %H:%M}.\n")
        if len(self.unfinished) > 1:
            t.append(f"{len(self.unfinished) - 1} older unfinished attempt(s) too.\n")
        t.append(
            "\nA timed exam's clock keeps running while it is unfinished. Abandon stops it "
            "without a score (it stays in your history); start anyway leaves it running."
        )
        with Vertical():
            yield Static(t, id="what")
            with Horizontal():
                yield Button("Resume (r)", id="resume", variant="primary")
                yield Button("Abandon (a)", id="abandon", variant="error")
                yield Button("Start anyway (s)", id="start")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#resume", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_choose(event.button.id or "")

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice if choice in CHOICES else None)
