"""The exam screen: one question at a time, the countdown, strike-outs, flags, the navigator.

Every change is committed through ExamService before the screen shows it as done; the clock is
read from ``services.clock`` so a fake clock can drive the warnings and the auto-submit.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Footer, Header, Input, Static

from certprep.core.models import ItemKind, split_codes
from certprep.services.exams import ExamClosed, ExamService, ExamView
from certprep.services.services import Services
from certprep.tui.errors import describe_open_error
from certprep.tui.screens.exam_clock import ExamClock
from certprep.tui.screens.exam_navigator import Cell, ExamNavigatorScreen
from certprep.tui.widgets.codebook import CodeBookPanel

LETTERS = "abcdef"
CHOICE_KINDS = (ItemKind.SINGLE, ItemKind.MULTIPLE, ItemKind.TRUE_FALSE)


class ExamBody(VerticalScroll, can_focus=False):
    """The question; not focusable, so letter and arrow keys reach the screen."""


class ExamScreen(ExamClock):
    """Sitting (or resuming) one exam attempt."""

    AUTO_FOCUS = ""  # focus is ours: the code box on code items, nothing otherwise

    DEFAULT_CSS = """
    ExamScreen #bar { height: 1; padding: 0 1; background: $boost; }
    ExamScreen #status { width: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
    ExamScreen #clock { width: auto; min-width: 15; text-align: right; text-style: bold; }
    ExamScreen #clock.low { color: $error; }
    ExamScreen #submit { min-width: 10; height: 1; border: none; margin-left: 2; }
    ExamScreen #notice { height: auto; padding: 0 2; color: $warning; }
    ExamScreen ExamBody { padding: 1 2; width: 1fr; }
    ExamScreen #main { height: 1fr; }
    ExamScreen #book { width: 45%; min-width: 34; }
    ExamScreen #feedback { padding: 1 0 0 0; }
    ExamScreen #code { margin: 0 2; }
    ExamScreen #code.hidden { display: none; }
    ExamScreen #hint { height: auto; padding: 0 2; background: $boost; }
    """
    BINDINGS = [
        Binding("n,right", "next", "Next"),
        Binding("p,left", "previous", "Prev"),
        Binding("f", "flag", "Flag"),
        Binding("x", "strike", "Strike"),
        Binding("g", "navigator", "Go to"),
        Binding("z", "pause", "Pause"),
        Binding("t", "toggle_pace", "Pace"),
        Binding("k", "code_book", "Book"),
        Binding("up", "scroll(-1)", "Scroll up", show=False),
        Binding("down", "scroll(1)", "Scroll down", show=False),
        Binding("ctrl+s", "submit", "Submit", priority=True),
        # escape: the first of these that acts now, so the footer says what it does
        Binding("escape", "leave_box", "Leave the box"),  # the code answer box has the cursor
        Binding("escape", "cancel_strike", "Cancel"),  # x was pressed: which choice?
        Binding("escape", "leave", "Leave"),
    ]

    def __init__(self, services: Services, attempt_id: int) -> None:
        super().__init__()
        self.services = services
        self.attempt_id = attempt_id
        self.exams = ExamService(services)
        self.view: ExamView | None = None
        self.position = 0
        self.strike_mode = False
        self.pending: set[str] = set()  # tutor mode: a multiple-response selection not yet checked
        self.warned: set[int] = set()
        self.last_tick = services.clock()
        self.remaining_s: float | None = None
        self.done = False
        # a change the database refused (locked, full, read-only, gone): retried every second
        self.unsaved: list[Callable[[], bool]] = []
        self.clock_at = services.clock()  # when remaining_s was last known
        self.used_s = 0.0  # untimed modes: the time used, as last read
        self.show_pace = bool(services.settings.get("show_pace", True))

    # -- layout ----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="bar"):
            yield Static("", id="status", markup=False)
            yield Static("", id="clock", markup=False)
            submit = Button("Submit", id="submit", variant="warning")
            submit.can_focus = False
            yield submit
        yield Static("", id="notice", markup=False)
        with Horizontal(id="main"):
            with ExamBody(id="body"):
                yield Static("", id="question", markup=False)
                yield Static("", id="feedback", markup=False)
            # open-book: the code book beside the question, timed exams too (k opens it)
            yield CodeBookPanel(self.services, context="exam", id="book")
        yield Input(
            placeholder="Type the code(s), separated by commas; enter saves, escape leaves the box",
            id="code",
            classes="hidden",
        )
        yield Static("", id="hint", markup=False)
        yield Footer(compact=True, show_command_palette=False)  # fits 80 columns

    def on_mount(self) -> None:
        self.query_one("#book").display = False  # k opens it beside the question
        try:
            view = self.exams.load(self.attempt_id)
        except Exception as exc:
            message = describe_open_error(exc)
            if message is None:
                raise
            self.app.notify(f"{message}\nThe exam could not be opened.", severity="error")
            self.done = True
            self.call_after_refresh(self.dismiss, None)
            return
        self.view = view
        self.title = view.title
        if view.status != "in_progress":
            self.call_after_refresh(self._show_results)
            return
        if view.paused and view.mode != "timed":
            self.exams.unpause(self.attempt_id)  # back at the screen: the clock runs again
            view.paused = False
        self.position = view.position
        self.remaining_s = view.remaining_s
        self._db(lambda: self._set_remaining(self.exams.tick(self.attempt_id)))
        self.last_tick = self.services.clock()  # a crash's absence is spent now
        if self.remaining_s is not None:
            # warnings already behind us are not shown again on resume
            self.warned = {w for w in view.blueprint.warnings_minutes if self.remaining_s <= w * 60}
            if self.remaining_s <= 0:
                self.call_after_refresh(self.submit_now, True)
                return
        self.show_question()
        self.refresh_bindings()
        self.set_interval(1.0, self.refresh_clock)

    TYPED = ("next", "previous", "flag", "strike", "navigator", "pause", "toggle_pace", "code_book")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Pause is offered only where the mode allows it; the pace marker where there is a clock."""
        timed = self.view is not None and self.view.mode == "timed"
        if isinstance(self.focused, Input) and action in self.TYPED:
            return False  # a box takes typing (a code answer, the code book's search)
        if action == "leave_box":
            return self.focused is self.query_one("#code", Input)
        if action == "cancel_strike":
            return self.strike_mode and not isinstance(self.focused, Input)
        if action == "leave":
            return not isinstance(self.focused, Input) and not self.strike_mode
        if action == "pause":
            return not timed
        if action == "toggle_pace":
            return timed
        return True

    def on_descendant_focus(self, event: object) -> None:
        self.refresh_bindings()  # a box taking typing changes which keys act

    def on_descendant_blur(self, event: object) -> None:
        self.refresh_bindings()

    def action_code_book(self) -> None:
        """Open the code book beside the question (the exams are open-book)."""
        if self.view is None or self.done:
            return
        panel = self.query_one("#book", CodeBookPanel)
        panel.set_question(self.attempt_id, self.question.item.id)
        panel.open()

    def action_toggle_pace(self) -> None:
        """Show or hide ahead/behind the budget in the status line (remembered)."""
        self.show_pace = not self.show_pace
        self._db(lambda: self.services.update_settings(show_pace=self.show_pace), quiet=True)
        self._render_status()

    # -- changes (each committed at once) ----------------------------------------------------
    def _exam_closed(self, exc: ExamClosed) -> None:
        if "time" in str(exc):
            self.submit_now(True)
        else:
            self._show_results()

    def on_key(self, event: events.Key) -> None:
        if self.view is None or self.done or self.view.paused:
            return
        if isinstance(self.focused, Input):
            return
        key = event.key
        q = self.question
        if q.item.kind not in CHOICE_KINDS:
            return
        if key == "enter" and self.view.mode == "tutor" and self.pending and not q.answered:
            event.stop()
            self._save(sorted(self.pending))
            return
        if key == "f" and not self.strike_mode:
            return  # f flags; the sixth choice is 6
        n = len(q.item.choices)
        if len(key) == 1 and key in LETTERS:
            idx = LETTERS.index(key)
        elif len(key) == 1 and key.isdigit():
            idx = int(key) - 1
        else:
            return
        if not 0 <= idx < n:
            return
        event.stop()
        event.prevent_default()
        written = (q.choice_order or [c.key for c in q.item.choices])[idx]
        if self.strike_mode:
            self._set_strike_mode(False)
            self._strike(written)
        else:
            self.choose(written)

    def choose(self, key: str) -> None:
        """Choose (or for multiple response toggle) a choice by its written key."""
        assert self.view is not None
        q = self.question
        if self._locked(q):
            self.notify("Already answered: in tutor mode the rationale is shown.")
            return
        if q.item.kind is ItemKind.MULTIPLE:
            if self.view.mode == "tutor":
                self.pending ^= {key}
                self._render_question()
                return
            self._save(sorted(set(q.response) ^ {key}))
            return
        if q.response == [key]:
            return
        self._save([key])

    def _save(self, response: list[str]) -> None:
        position = self.position
        q = self.question

        def save() -> None:
            correct = self.exams.answer(self.attempt_id, position, response)
            q.response = sorted(set(response)) if q.item.choices else list(response)
            q.correct = correct
            if self.position == position:
                self.pending = set()
                self._render_question()
                self._render_hint()
                if self._locked(q):  # tutor: the rationale, below a long case, comes into view
                    feedback = self.query_one("#feedback")
                    self.call_after_refresh(feedback.scroll_visible, top=True, animate=False)
            self._render_status()

        self._change(save)

    def _strike(self, key: str) -> None:
        q = self.question
        position = self.position

        def strike() -> None:
            q.struck = self.exams.strike(self.attempt_id, position, key)
            if self.position == position:
                self._render_question()
                self._render_hint()

        self._change(strike)

    @on(Input.Submitted, "#code")
    def code_submitted(self, event: Input.Submitted) -> None:
        if self.view is None or self._locked(self.question):
            return
        codes = split_codes(event.value)
        self._save(codes)
        self.set_focus(None)
        if codes:
            self._notice(f"Saved question {self.position + 1}. n next, p previous.")

    def action_strike(self) -> None:
        if self.view is None or self.view.paused or self.question.item.kind not in CHOICE_KINDS:
            return
        if self._locked(self.question):
            return
        self._set_strike_mode(True)

    def _set_strike_mode(self, on: bool) -> None:
        self.strike_mode = on
        self._render_hint()
        self.refresh_bindings()  # escape cancels the strike, or leaves

    def action_cancel_strike(self) -> None:
        self._set_strike_mode(False)

    def action_leave_box(self) -> None:
        self.set_focus(None)  # the letters and n/p act again

    def action_flag(self) -> None:
        if self.view is None or self.view.paused:
            return
        q = self.question
        position = self.position
        on = not q.flagged

        def flag() -> None:
            q.flagged = self.exams.flag(self.attempt_id, position, on)
            self._render_status()

        if self._change(flag):
            self.notify(f"Question {position + 1} {'flagged' if on else 'unflagged'}.", timeout=2)

    def go(self, position: int) -> None:
        """Move to a question (committed, so a resume comes back here)."""
        assert self.view is not None
        if position == self.position or not 0 <= position < len(self.view.questions):
            return
        if self.unsaved:
            self._notice("Not saved yet: the last change is still being retried; stay a moment.")
            return
        if self._change(lambda: self.exams.goto(self.attempt_id, position), retry=False):
            self.position = position
            self.show_question()

    def action_next(self) -> None:
        if self.view is None or self.view.paused:
            return
        if self.position + 1 >= len(self.view.questions):
            self.notify("This is the last question: ctrl+s submits, g opens the navigator.")
            return
        self.go(self.position + 1)

    def action_previous(self) -> None:
        if self.view is None or self.view.paused:
            return
        if not self.view.blueprint.allow_back:
            self.notify("This exam does not allow going back.")
            return
        if self.position > 0:
            self.go(self.position - 1)

    def action_scroll(self, step: int) -> None:
        body = self.query_one("#body", ExamBody)
        body.scroll_relative(y=step * 3, animate=False)

    def action_navigator(self) -> None:
        if self.view is None or self.view.paused:
            return
        cells = [Cell(q.answered, q.flagged) for q in self.view.questions]

        def chosen(position: int | None) -> None:
            if position is not None:
                self.go(position)

        self.app.push_screen(ExamNavigatorScreen(cells, self.position), chosen)

    def action_pause(self) -> None:
        if self.view is None or self.done:
            return
        if self.view.mode == "timed":
            self.notify(
                "A timed exam cannot be paused: the clock keeps running.", severity="warning"
            )
            return
        change = self.exams.unpause if self.view.paused else self.exams.pause
        if not self._change(lambda: change(self.attempt_id), retry=False):
            return
        self.view.paused = not self.view.paused
        self._notice("Paused." if self.view.paused else "")
        self.show_question()
