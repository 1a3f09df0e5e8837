"""The Textual app: thin. It builds the first screen and hands it the services."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

if TYPE_CHECKING:  # the database layer is imported off the path to the first frame
    from certprep.services import Services


class CertprepApp(App[None]):
    """certprep in the terminal."""

    CSS_PATH = "app.tcss"
    TITLE = "certprep"
    BINDINGS = [
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("f1", "help", "Help", show=False),  # works in a text box too, where ? types
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
    ]

    def __init__(
        self,
        services: Services | Callable[[], Services],
        *,
        profile: str | None = None,
        start: str = "home",
        options: dict[str, Any] | None = None,
    ):
        super().__init__()
        self._services: Services | None = None
        self._factory: Callable[[], Services] | None = None
        if hasattr(services, "engine"):
            self._services = services  # type: ignore[assignment]
        else:
            self._factory = services
        self._lock = threading.Lock()
        self._painted = threading.Event()  # set once the first frame is on screen
        self.profile = profile or (self._services.profile if self._services else "default")
        self.start = start
        self.options = options or {}

    @property
    def services(self) -> Services:
        """The use cases; opened (migrated, in a worker) on first use when given a factory."""
        with self._lock:
            if self._services is None:
                assert self._factory is not None
                if threading.current_thread() is not threading.main_thread():
                    # a worker: let the first frame paint before importing the database layer
                    # (the imports would hold the interpreter lock while the screen renders)
                    self._painted.wait(timeout=2.0)
                self._services = self._factory()
            return self._services

    def on_mount(self) -> None:
        from certprep.tui.screens.home import HomeScreen

        self.sub_title = f"profile: {self.profile}"
        home = HomeScreen()
        self.push_screen(home)
        # the first frame is painted once the home screen has refreshed
        home.call_after_refresh(lambda: self.call_after_refresh(self._painted.set))
        if self.start == "exam":
            from certprep.tui.screens.exam import ExamScreen

            self.push_screen(ExamScreen(self.services, int(self.options["attempt_id"])))
        if self.start == "review":
            from certprep.services.review import ReviewFilter
            from certprep.tui.screens.review import ReviewScreen

            self.push_screen(ReviewScreen(self.services, ReviewFilter(**self.options)))

    def action_help(self) -> None:
        from certprep.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand(
            "Help", "Keys and how certprep schedules your reviews", self.action_help
        )
        from certprep.tui.screens.home import HomeScreen

        home = next((s for s in self.screen_stack if isinstance(s, HomeScreen)), None)
        if home is not None and screen is home:
            for title, help_text, action in (
                ("Review", "Daily review of the cards due (r)", home.action_review),
                ("Start a mock exam", "CPC, CPB or CCS, timed or tutor (e)", home.action_exam),
                (
                    "Resume the exam in progress",
                    "Back to the same question (c)",
                    home.action_resume,
                ),
                (
                    "Import a bank",
                    "CSV, GIFT, Moodle, Aiken, Anki or native (i)",
                    home.action_import_bank,
                ),
                ("Report", "Weak topics, readiness and history (t)", home.action_report),
                ("Browse cards", "Search; suspend, unsuspend, reset, flag (b)", home.action_browse),
                ("Statistics", "Reviews per day, forecast, retention (s)", home.action_stats),
                ("Settings", "Daily limits, retention, exam dates (o)", home.action_settings),
                ("Code book", "ICD-10-CM, ICD-10-PCS, MS-DRG CC/MCC (k)", home.action_code_book),
                ("My exams", "Which exams you prepare for (m)", home.action_choose_exams),
            ):
                yield SystemCommand(title, help_text, action)


def make_app(
    services: Services | Callable[[], Services],
    *,
    profile: str | None = None,
    start: str = "home",
    options: dict[str, Any] | None = None,
) -> CertprepApp:
    """The app factory the CLI and the tests share: a Services object, or a function that opens
    one (then the home screen paints first and the database opens in a worker)."""
    return CertprepApp(services, profile=profile, start=start, options=options)
