"""The question navigator: every question of the exam in a grid; jump to any of them."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

COLUMNS = 10


@dataclass(frozen=True)
class Cell:
    """What the grid shows of one question."""

    answered: bool
    flagged: bool


class NavSquare(Static):
    """One question's square; a click jumps to it."""

    def __init__(self, index: int, cell: Cell) -> None:
        label = f"{index + 1:>3}{' ⚑' if cell.flagged else '  '}"
        classes = "answered" if cell.answered else "unanswered"
        if cell.flagged:
            classes += " flagged"
        super().__init__(label, markup=False, classes=classes, id=f"q{index}")
        self.index = index

    def on_click(self) -> None:
        screen = self.screen
        if isinstance(screen, ExamNavigatorScreen):
            screen.dismiss(self.index)


class ExamNavigatorScreen(ModalScreen[int | None]):
    """Answered, unanswered and flagged questions at a glance. Dismisses with a position."""

    DEFAULT_CSS = """
    ExamNavigatorScreen { align: center middle; }
    ExamNavigatorScreen > Vertical {
        width: 76; height: auto; max-height: 90%; border: round $accent; background: $surface;
        padding: 0 1;
    }
    ExamNavigatorScreen #legend { height: auto; margin-bottom: 1; }
    ExamNavigatorScreen Grid { grid-size: 10; grid-gutter: 0 1; height: auto; }
    ExamNavigatorScreen NavSquare { width: 6; height: 1; }
    ExamNavigatorScreen NavSquare.answered { background: $success 30%; }
    ExamNavigatorScreen NavSquare.unanswered { color: $text-muted; }
    ExamNavigatorScreen NavSquare.flagged { color: $warning; text-style: bold; }
    ExamNavigatorScreen NavSquare.cursor { background: $accent; color: $text; text-style: bold; }
    """
    BINDINGS = [
        Binding("enter", "jump", "Go to question"),
        Binding("left", "move(-1)", "Left", show=False),
        Binding("right", "move(1)", "Right", show=False),
        Binding("up", "move(-10)", "Up", show=False),
        Binding("down", "move(10)", "Down", show=False),
        Binding("u", "next_unanswered", "Next unanswered"),
        Binding("f", "next_flagged", "Next flagged"),
        Binding("escape,g", "close", "Close"),
    ]

    def __init__(self, cells: list[Cell], current: int) -> None:
        super().__init__()
        self.cells = cells
        self.cursor = max(0, min(current, len(cells) - 1))

    def compose(self) -> ComposeResult:
        answered = sum(c.answered for c in self.cells)
        flagged = sum(c.flagged for c in self.cells)
        legend = (
            f"{answered} answered · {len(self.cells) - answered} unanswered · {flagged} flagged ⚑\n"
            "arrows move · enter jumps · u next unanswered · f next flagged · a click works too"
        )
        with Vertical():
            yield Static(legend, id="legend", markup=False)
            with Grid():
                for i, cell in enumerate(self.cells):
                    yield NavSquare(i, cell)
        yield Footer()

    def on_mount(self) -> None:
        self._show_cursor(self.cursor)

    def _show_cursor(self, new: int) -> None:
        self.query_one(f"#q{self.cursor}").remove_class("cursor")
        self.cursor = new
        square = self.query_one(f"#q{new}")
        square.add_class("cursor")
        square.scroll_visible()

    def action_move(self, step: int) -> None:
        new = self.cursor + step
        if 0 <= new < len(self.cells):
            self._show_cursor(new)

    def _next(self, wanted: str) -> None:
        n = len(self.cells)
        for k in range(1, n + 1):
            i = (self.cursor + k) % n
            c = self.cells[i]
            if (wanted == "unanswered" and not c.answered) or (wanted == "flagged" and c.flagged):
                self._show_cursor(i)
                return
        self.notify(f"No {wanted} questions.")

    def action_next_unanswered(self) -> None:
        self._next("unanswered")

    def action_next_flagged(self) -> None:
        self._next("flagged")

    def action_jump(self) -> None:
        self.dismiss(self.cursor)

    def action_close(self) -> None:
        self.dismiss(None)
