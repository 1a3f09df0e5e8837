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
        from certprep.services import open_services
        from certprep.tui.app import make_app
        from certprep.tui.screens.home import HomeScreen

        app = make_app(open_services(db))

        def poll() -> None:
            screen = app.screen
            if isinstance(screen, HomeScreen) and screen.summary is not None:
                app.call_after_refresh(finish)
            else:
                app.set_timer(0.005, poll)

        def finish() -> None:
            done.append(time.time())
            app.exit()

        app.call_later(poll)
        app.run(headless=True)
    print(f"{done[0] - SPAWNED:.4f}")


if __name__ == "__main__":
    main()
