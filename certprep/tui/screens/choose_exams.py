"""Which exam(s) the learner prepares for: asked on first start, changed in settings.

Home, review, exams and the report then open on the first chosen exam."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Footer, Static

from certprep.core.models import Blueprint


class ChooseExamsScreen(ModalScreen[list[str] | None]):
    """Dismisses with the chosen exam keys in blueprint order (None: keep what was there)."""

    DEFAULT_CSS = """
    ChooseExamsScreen { align: center middle; }
    ChooseExamsScreen > Vertical {
        width: 72; max-width: 95%; height: auto; border: round $accent; background: $surface;
        padding: 1 2;
    }
    ChooseExamsScreen #intro { height: auto; margin-bottom: 1; }
    ChooseExamsScreen #error { color: $error; height: auto; }
    ChooseExamsScreen Button { margin-top: 1; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, blueprints: dict[str, Blueprint], chosen: list[str] | None = None) -> None:
        super().__init__()
        self.blueprints = blueprints
        self.chosen = [k for k in chosen or [] if k in blueprints]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                Text(
                    "Which exam are you preparing for?\n"
                    "Choose one or more; the first one is where certprep opens. "
                    "You can change this later in settings (o).",
                ),
                id="intro",
            )
            for key, bp in self.blueprints.items():
                label = Text(bp.name if key.upper() in bp.name else f"{bp.name} ({key.upper()})")
                yield Checkbox(label, value=key in self.chosen, id=f"pick-{key}")
            yield Static("", id="error", markup=False)
            yield Button("Save (ctrl+s)", id="save", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        self.query(Checkbox).first().focus()

    def picked(self) -> list[str]:
        """The checked exams: those chosen before keep their order, new ones follow."""
        on = [k for k in self.blueprints if self.query_one(f"#pick-{k}", Checkbox).value]
        return [k for k in self.chosen if k in on] + [k for k in on if k not in self.chosen]

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        picked = self.picked()
        if not picked:
            self.query_one("#error", Static).update("Choose at least one exam.")
            return
        self.dismiss(picked)

    def action_cancel(self) -> None:
        self.dismiss(None)
