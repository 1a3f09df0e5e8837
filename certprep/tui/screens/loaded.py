"""The one way a screen reads slow data: ``fetch`` in a thread worker, then ``show`` on the UI
thread. A database that refuses the read becomes a notice, not a crash."""

from __future__ import annotations

from typing import Generic, TypeVar

from textual import work
from textual.screen import Screen

T = TypeVar("T")


class LoadedScreen(Screen[None], Generic[T]):
    """A screen whose data comes from ``fetch`` (worker thread) and goes to ``show``."""

    def fetch(self) -> T:
        raise NotImplementedError

    def show(self, data: T) -> None:
        raise NotImplementedError

    @work(thread=True, exclusive=True, group="load")
    def load(self) -> None:
        """Fetch off the UI thread, then show; called on mount and whenever the data changes."""
        from certprep.tui.errors import describe_open_error

        try:
            data = self.fetch()
        except Exception as exc:
            message = describe_open_error(exc)
            if message is None:
                raise
            self.app.call_from_thread(self.notify, message, severity="error", timeout=10)
            return
        self.app.call_from_thread(self.show, data)
