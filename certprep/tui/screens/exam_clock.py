"""The exam screen's clock, saving and finishing: the countdown, warnings and auto-submit; every
change committed at once or, when the database refuses, kept and retried in order every second;
submit (asked, or when time is up) and leaving."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.widgets import Input, Static

from certprep.core.scoring import format_duration
from certprep.services.exams import ExamClosed
from certprep.tui.errors import describe_open_error
from certprep.tui.screens.confirm_submit import SUBMIT, ConfirmSubmitScreen
from certprep.tui.screens.exam_render import ExamRender

LETTERS = "abcdef"


class ExamClock(ExamRender):
    """The clock and the saving half of ExamScreen."""

    TICK_EVERY_S = 5.0  # commit the time used at least this often while the screen is open

    # -- the clock -------------------------------------------------------------------------
    def refresh_clock(self) -> None:
        """Once a second: update the countdown, commit time now and then, warn, auto-submit."""
        if self.done or self.view is None:
            return
        now = self.services.clock()
        if self.unsaved:
            try:
                while self.unsaved and self.unsaved[0]():
                    self.unsaved.pop(0)
            except ExamClosed as exc:
                self.unsaved.clear()
                self._exam_closed(exc)
                return
            if self.done:
                return
            if not self.unsaved:
                self._notice("Saved: the database answers again.")
        if not self.unsaved and (now - self.last_tick).total_seconds() >= self.TICK_EVERY_S:
            if self._db(lambda: self._set_remaining(self.exams.tick(self.attempt_id)), quiet=True):
                self.last_tick = now
        elif self.remaining_s is not None:
            # counted here: the database may be away, the clock is not
            self._set_remaining(self.remaining_s - (now - self.clock_at).total_seconds())
        self._render_clock()
        if self.remaining_s is None:
            return
        crossed = [
            w
            for w in self.view.blueprint.warnings_minutes
            if w not in self.warned and self.remaining_s <= w * 60
        ]
        if crossed and self.remaining_s > 0:
            self.warned.update(crossed)
            w = min(crossed)
            text = f"{w} minute{'s' if w != 1 else ''} left."
            self._notice(text)
            self.notify(text, severity="warning", timeout=10)
        if self.remaining_s <= 0:
            self.submit_now(True)

    def _render_clock(self) -> None:
        assert self.view is not None
        clock = self.query_one("#clock", Static)
        if self.remaining_s is None:
            self._db(
                lambda: setattr(self, "used_s", self.exams.time_used(self.attempt_id)), quiet=True
            )
            used = self.used_s
            label = "paused" if self.view.paused else f"time {format_duration(used)}"
            clock.update(Text(label))
            self.sub_title = label
            return
        text = f"⏱ {format_duration(self.remaining_s)} left"
        clock.update(Text(text))
        clock.set_class(self.remaining_s <= 5 * 60, "low")
        self.sub_title = text

    def _set_remaining(self, remaining: float | None) -> None:
        self.remaining_s = None if remaining is None else max(0.0, remaining)
        self.clock_at = self.services.clock()

    def _db(self, fn: Callable[[], Any], *, quiet: bool = False, retry: bool = False) -> bool:
        """Run a database call; a refusal (locked, full, read-only, server gone) becomes a notice,
        the learner stays on the question, and with ``retry`` the change is tried again every
        second until it is saved. Returns whether it went through."""
        if retry and self.unsaved:  # behind the changes still waiting, in order
            self.unsaved.append(lambda: self._db(fn, quiet=True))
            return False
        try:
            fn()
        except ExamClosed:
            raise
        except Exception as exc:
            message = describe_open_error(exc)
            if message is None:
                raise
            if retry:
                self.unsaved.append(lambda: self._db(fn, quiet=True))
            if not quiet:
                what = "certprep keeps trying" if retry else "try again"
                self._notice(f"Not saved yet: {message.removeprefix('certprep: ')} — {what}.")
            return False
        return True

    def _change(self, fn: Callable[[], Any], *, retry: bool = True) -> bool:
        """A change the learner made: committed now, or kept and retried if the database refuses."""
        try:
            ok = self._db(fn, retry=retry)
        except ExamClosed as exc:
            self._exam_closed(exc)
            return False
        if ok:
            self.last_tick = self.services.clock()
            self._notice("")
        return ok

    # provided by ExamScreen
    def _exam_closed(self, exc: ExamClosed) -> None:
        raise NotImplementedError

    def go(self, position: int) -> None:
        raise NotImplementedError

    # -- finishing: submit (asked, or when time is up) and leaving ----------------------------
    def action_submit(self) -> None:
        if self.view is None or self.done:
            return
        v = self.view

        def confirmed(choice: int | str | None) -> None:
            if choice == SUBMIT:
                self.submit_now(False)
            elif isinstance(choice, int):
                self.go(choice)

        unanswered = [q.position for q in v.questions if not q.answered]
        flagged = [q.position for q in v.questions if q.flagged]
        self.app.push_screen(ConfirmSubmitScreen(len(v.questions), unanswered, flagged), confirmed)

    def submit_now(self, auto: bool = False) -> None:
        """Score the attempt and show the results (auto: the time ran out)."""
        if self.done:
            return
        got: list[Any] = []
        if not self._db(lambda: got.append(self.exams.submit(self.attempt_id)), retry=auto):
            if auto:  # time is up: keep trying
                self.unsaved.append(self._retry_submit)
            return
        self.done = True
        result = got[0]
        if auto:
            self.notify("Time is up: the exam was submitted.", severity="warning", timeout=10)
        if result.sent_to_review:
            n = result.sent_to_review
            self.notify(f"{n} missed question{'s' if n != 1 else ''} added to your daily review.")
        self._show_results()

    def _retry_submit(self) -> bool:
        if not self._db(lambda: self.exams.submit(self.attempt_id), quiet=True):
            return False
        self.submit_now(True)  # submitted: this reads the stored result and shows it
        return True

    def _show_results(self) -> None:
        from certprep.tui.screens.exam_results import ExamResultsScreen

        self.done = True
        # a modal (navigator, confirmation) may be on top when the clock runs out
        while len(self.app.screen_stack) > 1 and self.app.screen is not self:
            self.app.pop_screen()
        self.app.switch_screen(ExamResultsScreen(self.services, self.attempt_id))

    def action_leave(self) -> None:
        if isinstance(self.focused, Input):
            self.set_focus(None)
            return
        if self.view is None or self.done:
            self.dismiss(None)
            return
        if self.unsaved:
            self.notify(
                "A change is not saved yet: certprep is still retrying. Wait a moment, "
                "or press escape again to leave without it.",
                severity="warning",
            )
            self.unsaved.clear()
            return
        if self.view.mode == "timed":
            self._db(lambda: self.exams.tick(self.attempt_id), quiet=True)
            self.notify(
                "Exam saved. The clock keeps running: resume it soon (c on the home screen).",
                severity="warning",
            )
        else:
            if not self.view.paused and not self._db(
                lambda: self.exams.pause(self.attempt_id), quiet=True
            ):
                self.notify("The exam could not be paused: its clock runs until you resume it.")
            else:
                self.notify("Exam saved and paused.")
        self.done = True
        self.dismiss(None)
