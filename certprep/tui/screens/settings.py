"""Study settings: daily limits, desired retention and the date of each exam."""

from __future__ import annotations

from datetime import date

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from certprep.services.services import Services
from certprep.tui.errors import safely


class SettingsScreen(ModalScreen[bool]):
    """Edit the learner's settings; saved only when every field is valid."""

    DEFAULT_CSS = """
    SettingsScreen { align: center middle; }
    SettingsScreen > VerticalScroll { width: 84; max-width: 100%; height: auto; max-height: 90%;
        border: round $accent; background: $surface; padding: 1 2; }
    SettingsScreen Grid { grid-size: 2; grid-columns: 42 1fr; grid-rows: auto; height: auto; }
    SettingsScreen Label { padding: 1 0 0 0; }
    SettingsScreen #error { color: $error; height: auto; }
    SettingsScreen #buttons { height: auto; padding-top: 1; }
    SettingsScreen #previews { grid-size: 3; grid-columns: 1fr 1fr 1fr; height: auto; }
    SettingsScreen #preview { height: auto; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save"),
        Binding("ctrl+e", "my_exams", "My exams"),
    ]

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services
        self.exams = sorted(services.blueprints())

    def compose(self) -> ComposeResult:
        s = self.services.settings
        dates = s.get("exam_dates", {})
        retention = s.get("retention_by_exam", {})
        modes = s.get("exam_mode", {})
        with VerticalScroll():
            yield Static("Settings (ctrl+s saves, escape cancels)", markup=False)
            mine = ", ".join(k.upper() for k in s.get("my_exams") or []) or "none chosen"
            yield Button(f"My exams: {mine} — change (ctrl+e)", id="my-exams")
            with Grid():
                yield Label("New cards per day")
                yield Input(str(s["new_per_day"]), id="new_per_day", type="integer")
                yield Label("Reviews per day")
                yield Input(str(s["reviews_per_day"]), id="reviews_per_day", type="integer")
                yield Label("Desired retention (0.70–0.99)")
                yield Input(str(s["desired_retention"]), id="desired_retention", type="number")
                yield Label("Study day starts at (hour, 0–23)")
                yield Input(str(s["rollover_hour"]), id="rollover_hour", type="integer")
                yield Label("Suspend a card after this many lapses (0 = never)")
                yield Input(str(s["leech_lapses"]), id="leech_lapses", type="integer")
                yield Label("Time zone (e.g. America/Chicago; empty = this computer's)")
                yield Input(s.get("time_zone") or "", id="time_zone", placeholder="system")
                for exam in self.exams:
                    yield Label(f"{exam.upper()} exam date (YYYY-MM-DD, empty = none)")
                    yield Input(dates.get(exam, ""), id=f"date-{exam}", placeholder="YYYY-MM-DD")
                    yield Label(f"{exam.upper()} desired retention (empty = as above)")
                    yield Input(str(retention.get(exam, "")), id=f"ret-{exam}", type="number")
                    yield Label(f"{exam.upper()} exam-date mode: exam-day target (empty = off)")
                    yield Input(
                        str(modes.get(exam, "")), id=f"mode-{exam}", placeholder="e.g. 0.95"
                    )
            yield Static(
                "Exam-date mode keeps every studied card at the target on exam day, at the cost "
                "of more reviews before it. See what it costs first:",
                markup=False,
            )
            with Grid(id="previews"):
                for exam in self.exams:
                    yield Button(f"Preview {exam.upper()} exam-date mode", id=f"preview-{exam}")
            yield Static("", id="preview", markup=False)
            yield Static("", id="error", markup=False)
            yield Button("Save", id="save", variant="primary")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        elif (event.button.id or "").startswith("preview-"):
            exam = (event.button.id or "").removeprefix("preview-")
            raw = self._value(f"mode-{exam}") or "0.95"
            typed = self._value(f"date-{exam}")
            saved = self.services.settings.get("exam_dates", {}).get(exam)
            if typed and typed != saved:  # the preview counts to the date typed: keep it
                try:
                    day = date.fromisoformat(typed).isoformat()
                except ValueError:
                    self.query_one("#preview", Static).update("The exam date: like 2027-03-15.")
                    return
                dates = {**self.services.settings.get("exam_dates", {}), exam: day}
                from certprep.services.settings import save_settings

                save_settings(self.services, exam_dates=dates)
            self.query_one("#preview", Static).update("Simulating your cards…")
            self.preview(exam, raw)
        elif event.button.id == "my-exams":
            self.action_my_exams()

    def action_my_exams(self) -> None:
        """Which exams the learner prepares for (saved at once)."""
        from certprep.tui.screens.choose_exams import ChooseExamsScreen

        def chosen(keys: list[str] | None) -> None:
            if keys:
                self.services.update_settings(my_exams=keys, current_exam=keys[0])
                mine = ", ".join(k.upper() for k in keys)
                self.query_one("#my-exams", Button).label = f"My exams: {mine} — change (ctrl+e)"

        found = self.services.blueprints()
        self.app.push_screen(
            ChooseExamsScreen(found, self.services.settings.get("my_exams")), chosen
        )

    @work(thread=True, exclusive=True)
    def preview(self, exam: str, raw: str) -> None:
        """Reviews per day and exam-day recall with and without the mode (your own cards)."""
        from certprep.core.problems import InputError
        from certprep.services.review import preview_exam_mode

        try:
            p = preview_exam_mode(self.services, exam, float(raw))
        except (InputError, ValueError) as exc:
            text = exc.render() if isinstance(exc, InputError) else "target: a number like 0.95"
            self.app.call_from_thread(self.query_one("#preview", Static).update, text)
            return
        text = (
            f"{exam.upper()} in {p.days_left:.0f} days, {p.cards} studied cards "
            f"({p.unseen} never studied):\n"
            f"  without the mode: {p.reviews_per_day_without:.1f} reviews a day, "
            f"{p.at_target_without:.0%} of cards at {p.target:.2f} on exam day "
            f"(mean recall {p.retention_without:.1%})\n"
            f"  with the mode:    {p.reviews_per_day_with:.1f} reviews a day, "
            f"{p.at_target_with:.0%} at {p.target:.2f} (mean recall {p.retention_with:.1%})"
        )
        self.app.call_from_thread(self.query_one("#preview", Static).update, text)

    def _value(self, wid: str) -> str:
        return self.query_one(f"#{wid}", Input).value.strip()

    @safely
    def action_save(self) -> None:
        errors: list[str] = []
        changes: dict[str, object] = {}

        def integer(wid: str, lo: int, hi: int, label: str) -> None:
            try:
                v = int(self._value(wid))
                if not lo <= v <= hi:
                    raise ValueError
                changes[wid] = v
            except ValueError:
                errors.append(f"{label}: a whole number from {lo} to {hi}")

        def retention_of(text: str, label: str) -> float | None:
            try:
                v = float(text)
                if not 0.7 <= v <= 0.99:
                    raise ValueError
                return v
            except ValueError:
                errors.append(f"{label}: a number from 0.70 to 0.99")
                return None

        integer("new_per_day", 0, 9999, "New cards per day")
        integer("reviews_per_day", 0, 99999, "Reviews per day")
        integer("rollover_hour", 0, 23, "Study day start")
        integer("leech_lapses", 0, 99, "Leech lapses")
        r = retention_of(self._value("desired_retention"), "Desired retention")
        if r is not None:
            changes["desired_retention"] = r
        dates: dict[str, str] = {}
        per_exam: dict[str, float] = {}
        modes: dict[str, float] = {}
        for exam in self.exams:
            raw = self._value(f"date-{exam}")
            if raw:
                try:
                    dates[exam] = date.fromisoformat(raw).isoformat()
                except ValueError:
                    errors.append(f"{exam.upper()} exam date: a date like 2027-03-15")
            raw = self._value(f"ret-{exam}")
            if raw:
                v = retention_of(raw, f"{exam.upper()} retention")
                if v is not None:
                    per_exam[exam] = v
            raw = self._value(f"mode-{exam}")
            if raw:
                v = retention_of(raw, f"{exam.upper()} exam-day target")
                if v is not None:
                    modes[exam] = v
                    if exam not in dates:
                        errors.append(f"{exam.upper()} exam-date mode needs the exam date")
        changes["exam_dates"] = dates
        changes["retention_by_exam"] = per_exam
        changes["exam_mode"] = modes
        changes["time_zone"] = self._value("time_zone") or None
        if errors:
            self._refuse("\n".join(errors))
            return
        from certprep.core.problems import InputError
        from certprep.services.settings import save_settings

        try:  # an unknown zone is refused with the expected form, and nothing is saved
            save_settings(self.services, **changes)
        except InputError as exc:
            self._refuse(exc.render())
            return
        self.dismiss(True)

    def _refuse(self, why: str) -> None:
        """Why nothing was saved, scrolled into view: it sits below every field."""
        error = self.query_one("#error", Static)
        error.update("Not saved:\n" + why)
        self.call_after_refresh(error.scroll_visible, animate=False)

    def action_cancel(self) -> None:
        self.dismiss(False)
