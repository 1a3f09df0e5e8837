"""Before an exam is submitted: which questions are unanswered and flagged, each one a jump away.

Enter and escape go back to the exam; only `y` (or the Submit button) submits.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, OptionList, Static
from textual.widgets.option_list import Option

SUBMIT = "submit"


def _numbers(positions: list[int]) -> str:
    """Question numbers for positions, a run of three or more as a range: "2, 4, 5, 7–100"
    (98 numbers one by one pushed the dialog's buttons off an 80x24 terminal)."""
    runs: list[list[int]] = []
    for n in sorted({p + 1 for p in positions}):
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{run[0]}–{run[-1]}")
        else:
            parts += [str(n) for n in run]
    return ", ".join(parts)


class ConfirmSubmitScreen(ModalScreen[int | str | None]):
    """Dismisses with SUBMIT, a question position to jump to, or None to keep working."""

    DEFAULT_CSS = """
    ConfirmSubmitScreen { align: center middle; }
    ConfirmSubmitScreen > Vertical {
        width: 72; max-width: 95%; height: auto; max-height: 95%;
        border: round $warning; background: $surface; padding: 1 2;
    }
    ConfirmSubmitScreen #counts { height: auto; margin-bottom: 1; }
    ConfirmSubmitScreen OptionList { height: auto; max-height: 10; margin-top: 1; }
    ConfirmSubmitScreen Horizontal { height: auto; align-horizontal: center; }
    ConfirmSubmitScreen Button { margin: 0 1; }
    """
    BINDINGS = [
        Binding("y", "confirm", "Submit"),
        Binding("n,escape", "cancel", "Keep working"),
    ]

    def __init__(self, total: int, unanswered: list[int], flagged: list[int]) -> None:
        super().__init__()
        self.total = total
        self.unanswered = unanswered
        self.flagged = flagged

    def message(self) -> Text:
        t = Text("Submit the exam?\n\n", style="bold")
        t.append(f"{self.total - len(self.unanswered)} of {self.total} questions answered.\n")
        t.append(f"{len(self.unanswered)} unanswered", style="bold red" if self.unanswered else "")
        t.append(f": {_numbers(self.unanswered)}\n" if self.unanswered else "\n")
        t.append(
            f"{len(self.flagged)} flagged for review", style="bold yellow" if self.flagged else ""
        )
        t.append(f": {_numbers(self.flagged)}\n" if self.flagged else "\n")
        if self.unanswered or self.flagged:
            t.append("\nChoose a question below to go to it. ")
        t.append("After submitting you cannot change any answer.")
        return t

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.message(), id="counts")
            jumps = [
                Option(f"Question {p + 1}: unanswered", id=f"u{p}") for p in self.unanswered
            ] + [Option(f"Question {p + 1}: flagged", id=f"f{p}") for p in self.flagged]
            # the buttons before the list: on a short terminal the list scrolls, they stay
            with Horizontal():
                yield Button("Keep working (n)", id="cancel", variant="primary")
                yield Button("Submit (y)", id="submit", variant="warning")
            if jumps:
                yield OptionList(*jumps, id="jump")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()  # enter goes back; submitting takes y

    @on(OptionList.OptionSelected, "#jump")
    def jump(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int((event.option.id or "q0")[1:]))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(SUBMIT if event.button.id == "submit" else None)

    def action_confirm(self) -> None:
        self.dismiss(SUBMIT)

    def action_cancel(self) -> None:
        self.dismiss(None)
