"""The Textual app: thin. It builds the first screen and hands it the services."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from certprep.services import Services


class CertprepApp(App[None]):
    """certprep in the terminal."""

    CSS_PATH = "app.tcss"
    TITLE = "certprep"
    BINDINGS = [
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
    ]

    def __init__(
        self, services: Services, *, start: str = "home", options: dict[str, Any] | None = None
    ):
        super().__init__()
        self.services = services
        self.start = start
        self.options = options or {}

    def on_mount(self) -> None:
        from certprep.tui.screens.home import HomeScreen

        self.sub_title = f"profile: {self.services.profile}"
        self.push_screen(HomeScreen(self.services))
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


def make_app(
    services: Services, *, start: str = "home", options: dict[str, Any] | None = None
) -> CertprepApp:
    """The app factory the CLI and the tests share."""
    return CertprepApp(services, start=start, options=options)
