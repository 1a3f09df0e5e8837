"""What the exam screen shows: the question, its feedback in tutor mode, the status line and the
key hint. Pure rendering over the attempt as loaded; nothing here writes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.text import Text
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Input, Static

from certprep.core.models import ItemKind
from certprep.core.pacing import mmss, pace_gap_s
from certprep.services.exams import ExamQuestion, ExamService, ExamView
from certprep.services.services import Services
from certprep.tui.widgets.hanging import hanging
from certprep.tui.widgets.item_view import feedback_text, item_text

LETTERS = "abcdef"


class ExamRender(Screen[None]):
    """The showing half of ExamScreen."""

    services: Services
    exams: ExamService
    attempt_id: int
    view: ExamView | None
    position: int
    strike_mode: bool
    pending: set[str]
    warned: set[int]
    last_tick: datetime
    remaining_s: float | None
    done: bool
    unsaved: list[Callable[[], bool]]
    clock_at: datetime
    used_s: float
    show_pace: bool

    # -- showing ---------------------------------------------------------------------------
    @property
    def question(self) -> ExamQuestion:
        assert self.view is not None
        return self.view.questions[self.position]

    def show_question(self) -> None:
        assert self.view is not None
        from certprep.tui.widgets.codebook import CodeBookPanel

        for panel in self.query(CodeBookPanel):  # lookups are logged with the question on screen
            panel.set_question(self.attempt_id, self.question.item.id)
        if not self.unsaved:
            self._notice("")  # a notice is about the question it was given on
        self.strike_mode = False
        self.refresh_bindings()  # escape leaves again (not: cancels a strike)
        self.pending = set()
        q = self.question
        code = self.query_one("#code", Input)
        if self.view.paused:
            self.query_one("#question", Static).update(
                Text("Paused. The questions are hidden; press z to go on.", style="bold")
            )
            self.query_one("#feedback", Static).update("")
            code.add_class("hidden")
        else:
            self._render_question()
            if q.item.kind is ItemKind.CODE and not self._locked(q):
                code.remove_class("hidden")
                code.value = ", ".join(q.response)
                code.focus()
            else:
                code.add_class("hidden")
                self.set_focus(None)
        self.query_one("#body", VerticalScroll).scroll_home(animate=False)
        self._render_status()
        self._render_hint()
        self._render_clock()

    def _locked(self, q: ExamQuestion) -> bool:
        """Tutor mode shows the rationale once answered: the answer is then final."""
        assert self.view is not None
        return self.view.mode == "tutor" and q.answered

    def _render_question(self) -> None:
        assert self.view is not None
        q = self.question
        reveal = self._locked(q)
        selected = self.pending if (self.pending and not q.answered) else set(q.response)
        self.query_one("#question", Static).update(
            hanging(
                item_text(
                    q.item,
                    case_title=q.case_title,
                    case_text=q.case_text,
                    order=q.choice_order or None,
                    selected=selected,
                    struck=set(q.struck),
                    reveal=reveal,
                )
            )
        )
        feedback = self.query_one("#feedback", Static)
        if reveal:
            given = q.response if q.item.kind is ItemKind.CODE else None
            feedback.update(
                feedback_text(q.item, q.correct, order=q.choice_order or None, given=given)
            )
        elif q.item.kind is ItemKind.CODE and q.response:
            feedback.update(Text(f"Saved: {', '.join(q.response)}", style="green"))
        else:
            feedback.update("")

    def on_resize(self, event: object) -> None:
        """The status line's long or compact form follows the terminal's width."""
        if self.view is not None and self.view.questions:
            self._render_status()

    def _render_status(self) -> None:
        assert self.view is not None
        v = self.view
        q = self.question
        # what the learner needs most comes first; the section title, last, is what gets cut
        narrow = self.size.width < 100  # at 80 columns the counts must still fit
        n, total = self.position + 1, len(v.questions)
        sep = " · " if narrow else "  ·  "
        t = Text(no_wrap=True, overflow="ellipsis")
        t.append(f"Q{n}/{total}" if narrow else f"Question {n} of {total}", style="bold")
        if q.flagged:
            t.append(" ⚑" if narrow else " ⚑ flagged", style="bold yellow")
        # narrow: the total is in Q n/total already, and the pace after the counts must fit
        t.append(f"{sep}{v.answered} answered" if narrow else f"{sep}answered {v.answered}/{total}")
        if v.flagged:
            t.append(f"{sep}{v.flagged} flagged" if narrow else f"{sep}flagged {v.flagged}")
        pace = self._pace_marker()
        if pace is not None:
            t.append(sep)
            t.append_text(pace)
        t.append(f"{sep}{q.section_title}")
        self.query_one("#status", Static).update(t)

    def _pace_marker(self) -> Text | None:
        """Ahead of or behind the exam's budget per question (timed exams, when shown)."""
        v = self.view
        if v is None or v.time_limit_s is None or self.remaining_s is None or not self.show_pace:
            return None
        budget = v.time_limit_s / max(1, len(v.questions))
        used = v.time_limit_s - self.remaining_s
        # the question on screen has its budget too: nobody is behind three seconds in
        counted = min(len(v.questions), v.answered + 1)
        gap = pace_gap_s(answered=counted, used_s=used, budget_s=budget)
        word = "ahead" if gap >= 0 else "behind"
        return Text(
            f"{word} {mmss(abs(gap))}",
            style="green" if gap >= 0 else "bold red",
        )

    def _render_hint(self) -> None:
        assert self.view is not None
        q = self.question
        n = len(q.item.choices)
        last = LETTERS[n - 1] if n else ""
        if self.view.paused:
            hint = "z go on   escape leave (the exam stays paused)"
        elif self.strike_mode:
            hint = f"strike out which choice? a–{last} or 1–{n}   escape cancel"
        elif self._locked(q):
            hint = "answered: the rationale is shown   n next   p previous   g navigator"
        elif q.item.kind is ItemKind.CODE:
            hint = "type the code(s), enter saves; escape leaves the box, then n/p move"
        elif q.item.kind is ItemKind.MULTIPLE:
            check = "   enter check" if self.view.mode == "tutor" else ""
            hint = f"a–{last} or 1–{n} select/unselect{check}   x then a letter strikes out"
        else:
            hint = f"a–{last} or 1–{n} choose   x then a letter strikes a choice out"
        if n == 6 and not self.strike_mode:
            hint += "   (choice f: press 6; f flags)"
        self.query_one("#hint", Static).update(Text(hint))

    def _render_clock(self) -> None:
        raise NotImplementedError

    def _notice(self, text: str) -> None:
        self.query_one("#notice", Static).update(Text(text))
