"""The card browser's detail pane (an item with its card and history) and its confirm dialog.

Every piece of user text is appended to a Rich ``Text`` as a plain string: never markup.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Static

from certprep.core.scheduling import STATE_NAMES
from certprep.services.cards import CardDetail, due_label
from certprep.tui.widgets.item_view import item_text

RATINGS = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}


def detail_text(d: CardDetail) -> Text:
    item = d.item
    out = Text()
    out.append(item.id, style="bold")
    out.append(f"   {item.kind.value} · bank ")
    out.append(d.bank)
    out.append("\n")
    out.append("Exams: ", style="dim")
    out.append(", ".join(f"{e} / {s}" for e, s in d.exams) or "—")
    if d.topics:
        out.append("\nTopics: ", style="dim")
        out.append(", ".join(d.topics))
    out.append("\n\n")
    out.append_text(
        item_text(item, case_title=d.case_title, case_text=d.case_text, reveal=True, show_back=True)
    )
    if item.codes:
        out.append("Answer: ", style="bold")
        out.append(", ".join(item.codes))
        out.append("\n")
    out.append("\nCard", style="bold underline")
    out.append("\n")
    card = d.card
    out.append(f"State {STATE_NAMES.get(card.state, 'new')}   due {due_label(card.due)}\n")
    out.append(f"Reviews {card.reps}   lapses {card.lapses}")
    if card.stability is not None:
        out.append(f"   stability {card.stability:.1f} d")
    if card.difficulty is not None:
        out.append(f"   difficulty {card.difficulty:.1f}")
    if d.retrievability is not None:
        out.append(f"   recall now {d.retrievability:.0%}")
    out.append("\n")
    marks = [
        name
        for name, on in (
            ("suspended", d.suspended),
            ("leech", d.leech),
            ("flagged", d.flagged),
            ("marked", d.marked),
        )
        if on
    ]
    if d.buried_until is not None:
        marks.append(f"buried until {due_label(d.buried_until)}")
    if marks:
        out.append(" · ".join(marks), style="bold yellow")
        out.append("\n")
    out.append(f"\nHistory ({len(d.history)})", style="bold underline")
    out.append("\n")
    if not d.history:
        out.append("Never reviewed.\n", style="dim")
    for h in reversed(d.history):  # newest first
        secs = f"{h.duration_ms / 1000:.0f}s" if h.duration_ms is not None else ""
        before = STATE_NAMES.get(h.state_before, "") if h.state_before is not None else ""
        out.append(
            f"{due_label(h.reviewed_at)}  {RATINGS.get(h.rating, str(h.rating)):<6} "
            f"{h.source:<7} {before:<10} {secs}\n"
        )
    return out


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question for actions that cannot be undone; defaults to No."""

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical {
        width: 64; height: auto; border: round $warning; background: $surface; padding: 1 2;
    }
    ConfirmScreen #question { height: auto; margin-bottom: 1; }
    ConfirmScreen Horizontal { height: auto; align-horizontal: center; }
    ConfirmScreen Button { margin: 0 1; }
    """
    BINDINGS = [
        Binding("y", "confirm", "Yes"),
        Binding("n,escape", "cancel", "No"),
    ]

    def __init__(self, question: str, yes: str) -> None:
        super().__init__()
        self.question = question
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.question), id="question")
            with Horizontal():
                yield Button("Cancel (n)", id="cancel")
                yield Button(f"{self.yes} (y)", id="confirm", variant="warning")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm")

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
