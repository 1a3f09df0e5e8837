"""Time from process start to the first painted frame of the REAL `certprep` command (the
console script, as a learner types it) in a pseudo-terminal, and to the frame with the home
screen's counts; or of a bare Textual app (header, one line, footer) for reference.

    python benchmarks/first_frame.py certprep|bare DB

Prints "<first frame s> [<counts frame s>]". The process is started in a 120x36 pty, its output
is read as the terminal would receive it and searched (escape sequences removed) for a text
that is only on screen once the frame is painted; then ctrl+q ends it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import select
import shutil
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

ESCAPES = re.compile(
    rb"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_]|P[^\x1b]*\x1b\\)"
)

BARE = """
from textual.app import App
from textual.widgets import Footer, Header, Static

class Bare(App):
    def compose(self):
        yield Header()
        yield Static("hello bare textual")
        yield Footer()

Bare().run()
"""

FIRST = {"certprep": b"Your exams", "bare": b"hello bare textual"}
# only painted once the home screen has its summary (the bench database has no attempts)
COUNTS = b"No attempts yet"


def certprep_command() -> list[str]:
    script = Path(sys.executable).parent / "certprep"
    if script.exists():
        return [str(script)]
    found = shutil.which("certprep")
    if not found:
        sys.exit("first_frame: the certprep command is not installed (pip install -e .)")
    return [found]


def measure(kind: str, db: str, timeout: float = 60.0) -> list[float]:
    if kind == "bare":
        cmd = [sys.executable, "-c", BARE]
        marks = [FIRST["bare"]]
    else:
        cmd = [*certprep_command(), "--db", db]
        marks = [FIRST["certprep"], COUNTS]
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 36, 120, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "36"}
    env.pop("TEXTUAL", None)
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
    )
    os.close(slave)
    buf = b""
    found: list[float] = []
    try:
        while len(found) < len(marks):
            if time.perf_counter() - start > timeout:
                text = ESCAPES.sub(b"", buf)[-2000:]
                raise SystemExit(f"first_frame: {kind} painted no {marks[len(found)]!r}: {text!r}")
            ready, _, _ = select.select([master], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            text = ESCAPES.sub(b"", buf)
            while len(found) < len(marks) and marks[len(found)] in text:
                found.append(time.perf_counter() - start)
    finally:
        with contextlib.suppress(OSError):
            os.write(master, b"\x11")  # ctrl+q
        drain_until = time.perf_counter() + 5
        while proc.poll() is None and time.perf_counter() < drain_until:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    os.read(master, 65536)
                except OSError:
                    break
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    return found


def main() -> None:
    kind, db = sys.argv[1], sys.argv[2]
    print(" ".join(f"{t:.4f}" for t in measure(kind, db)))


if __name__ == "__main__":
    main()
