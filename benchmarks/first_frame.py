"""Time from process start to the first painted frame, headless: certprep's home screen (with its
counts shown) or a bare Textual app for reference.   python benchmarks/first_frame.py certprep|bare DB"""

from __future__ import annotations

import sys
import time

SPAWNED = float(sys.argv[3]) if len(sys.argv) > 3 else time.time()


def main() -> None:
    kind, db = sys.argv[1], sys.argv[2]
    done: list[float] = []
    if kind == "bare":
        from textual.app import App, ComposeResult
        from textual.widgets import Footer, Header, Static

        class Bare(App[None]):
            def compose(self) -> ComposeResult:
                yield Header()
                yield Static("hello")
                yield Footer()

            def on_mount(self) -> None:
                self.call_after_refresh(self.finish)

            def finish(self) -> None:
                done.append(time.time())
                self.exit()

        Bare().run(headless=True)
    else:
        # as `certprep` does: the app gets a function that opens the database in a worker
        from certprep.tui.app import make_app
        from certprep.tui.screens.home import HomeScreen

        def open_db():  # type: ignore[no-untyped-def]
            from certprep.services import open_services

            return open_services(db)

        app = make_app(open_db)

        def poll() -> None:
            screen = app.screen
            if isinstance(screen, HomeScreen) and not done:
                app.call_after_refresh(painted)
            if isinstance(screen, HomeScreen) and screen.summary is not None:
                app.call_after_refresh(finish)
            else:
                app.set_timer(0.005, poll)

        def painted() -> None:
            if not done:
                done.append(time.time())

        def finish() -> None:
            done.append(time.time())
            app.exit()

        app.call_later(poll)
        app.run(headless=True)
    # first frame; and, for certprep, the frame with the counts filled in
    print(" ".join(f"{t - SPAWNED:.4f}" for t in done))


if __name__ == "__main__":
    main()
