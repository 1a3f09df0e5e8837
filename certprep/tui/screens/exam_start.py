"""Choosing a mock exam: which blueprint, which mode, how many questions."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Footer, Input, RadioButton, RadioSet, Static

from certprep.core.assembly import AssemblyError, ShortPoolError
from certprep.services.exams import ExamService
from certprep.services.services import Services

MODES = [
    ("timed", "Timed: the full clock, results at the end"),
    ("untimed", "Untimed: no clock, pause any time, results at the end"),
    ("tutor", "Tutor: no clock, the rationale after each answer"),
]


class ExamStartScreen(ModalScreen[int | None]):
    """Start an attempt. Dismisses with the new attempt's id, or None when cancelled."""

    DEFAULT_CSS = """
    ExamStartScreen { align: center middle; }
    ExamStartScreen > VerticalScroll {
        width: 84; max-width: 100%; height: auto; max-height: 95%; border: round $accent;
        background: $surface; padding: 0 1; scrollbar-size-vertical: 1;
    }
    ExamStartScreen .label { margin-top: 1; text-style: bold; }
    ExamStartScreen RadioSet { width: 100%; }
    ExamStartScreen #questions { width: 30; }
    ExamStartScreen #error { color: $error; height: auto; margin-top: 1; }
    ExamStartScreen Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    ExamStartScreen Button { margin-left: 2; }
    """
    BINDINGS = [
        Binding("ctrl+s", "start", "Start", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, services: Services, exam: str | None = None) -> None:
        super().__init__()
        self.services = services
        shipped = ["cpc", "cpb", "ccs"]
        found = services.blueprints()
        order = sorted(found, key=lambda k: (shipped.index(k) if k in shipped else 99, k))
        self.blueprints = {k: found[k] for k in order}
        self.keys = list(self.blueprints)
        self.exam = exam if exam in self.blueprints else (self.keys[0] if self.keys else None)
        self.starting = False
        self.cancelled = False

    def compose(self) -> ComposeResult:
        # scrolls: at 80x24 (and 36 rows) the boxes, the message and the buttons fall below
        with VerticalScroll():
            yield Static("Start a mock exam", classes="label", markup=False)
            yield Static("Exam", classes="label", markup=False)
            with RadioSet(id="exam"):
                for key, bp in self.blueprints.items():
                    label = Text(
                        f"{bp.name}: {bp.questions} questions, {bp.time_limit_minutes} min"
                    )
                    yield RadioButton(label, value=key == self.exam, id=f"exam-{key}")
            yield Static("Mode", classes="label", markup=False)
            with RadioSet(id="mode"):
                for i, (key, text) in enumerate(MODES):
                    yield RadioButton(Text(text), value=i == 0, id=f"mode-{key}")
            yield Static("Questions (empty: the full form)", classes="label", markup=False)
            yield Input(placeholder="all", id="questions", type="integer")
            yield Checkbox("Only questions I have never seen", id="unseen")
            yield Checkbox("Include generated code-set drills", id="drills")
            yield Static("", id="error", markup=False)
            with Horizontal():
                yield Button("Start (ctrl+s)", id="start", variant="primary")
                yield Button("Cancel (esc)", id="cancel")
        yield Footer()

    def on_mount(self) -> None:
        if not self.keys:
            self._error("No blueprints found.")
        exams = self.query_one("#exam", RadioSet)
        if self.exam in self.keys:  # the highlight starts on the chosen exam, not the first
            exams._selected = self.keys.index(self.exam)
        exams.focus()

    def _error(self, text: str) -> None:
        error = self.query_one("#error", Static)
        error.update(Text(text))
        if text:  # below the fold in a short terminal: brought into view
            self.call_after_refresh(error.scroll_visible, animate=False)

    def choice(self) -> tuple[str | None, str, int | None, bool]:
        """The chosen blueprint, mode, question count (None: the full form) and unseen-only."""
        exam_btn = self.query_one("#exam", RadioSet).pressed_button
        mode_btn = self.query_one("#mode", RadioSet).pressed_button
        exam = (exam_btn.id or "").removeprefix("exam-") if exam_btn else self.exam
        mode = (mode_btn.id or "").removeprefix("mode-") if mode_btn else "timed"
        raw = self.query_one("#questions", Input).value.strip()
        unseen = self.query_one("#unseen", Checkbox).value
        return exam, mode, int(raw) if raw else None, unseen

    @on(Button.Pressed, "#start")
    @on(Input.Submitted, "#questions")
    def action_start(self) -> None:
        if self.starting:
            return
        try:
            exam, mode, questions, unseen = self.choice()
        except ValueError:
            self._error("The number of questions must be a whole number.")
            return
        if exam is None:
            self._error("Choose an exam.")
            return
        self.starting = True
        self._error("Drawing the questions…")
        self.draw(exam, mode, questions, unseen, self.query_one("#drills", Checkbox).value)

    @work(thread=True, exclusive=True)
    def draw(
        self, exam: str, mode: str, questions: int | None, unseen: bool, drills: bool = False
    ) -> None:
        try:
            attempt_id = ExamService(self.services).start(
                exam, mode=mode, questions=questions, unseen_only=unseen, include_drills=drills
            )
        except ShortPoolError as exc:
            self.app.call_from_thread(self._short, exc)
            return
        except AssemblyError as exc:
            self.app.call_from_thread(self._failed, str(exc))
            return
        self.app.call_from_thread(self._drawn, attempt_id)

    def _drawn(self, attempt_id: int) -> None:
        if not self.cancelled:
            self.dismiss(attempt_id)
            return
        # the learner left while the form was being drawn: no attempt runs unseen
        ExamService(self.services).abandon(attempt_id)
        self.app.notify("Exam not started: it was cancelled while the questions were drawn.")

    def _failed(self, text: str) -> None:
        if self.cancelled:
            return
        self.starting = False
        self.cancelled = False
        self._error(text)

    def _short(self, exc: ShortPoolError) -> None:
        if self.cancelled:
            return
        self.starting = False
        self.cancelled = False
        lines = ["Not enough questions in the pool for this form:"]
        lines += [
            f"  {s.section}: needs {s.wanted}, has {s.available} ({s.missing} short)"
            for s in exc.shortfalls
            if s.available
        ]
        empty = [s.section for s in exc.shortfalls if not s.available]
        if empty:
            lines.append(f"  no items at all: {', '.join(empty)}")
        if exc.suggested_questions:
            n = exc.suggested_questions
            lines.append(
                f"A shorter form of {n} question{'s' if n != 1 else ''} fits: "
                "it is in the Questions box now, press ctrl+s to start it."
            )
            self.query_one("#questions", Input).value = str(exc.suggested_questions)
        else:
            lines.append("No shorter form fits: import questions for these sections first.")
        self._error("\n".join(lines))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.cancelled = True
        self.dismiss(None)
