"""The real `certprep` command in a real terminal (tmux, 120x36): keys in, screen out."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from certprep.banks.native import dump_bank

from .conftest import make_bank

pytestmark = pytest.mark.tmux

if shutil.which("tmux") is None:  # CI installs tmux; a laptop without it skips, saying why
    pytest.skip("tmux is not installed: the real-terminal tests need it", allow_module_level=True)


class Terminal:
    """One tmux server per terminal, on its own socket (`-L`): with a shared default server,
    killing the last session makes that server exit, and a new session started in that moment
    met "server exited unexpectedly" (CI, session 5)."""

    def __init__(self, command: str, env: dict[str, str]) -> None:
        self.name = f"certprep-{uuid.uuid4().hex[:8]}"
        exports = " ".join(f"{k}={v}" for k, v in env.items())
        subprocess.run(
            [
                *self.tmux,
                "new-session",
                "-d",
                "-s",
                self.name,
                "-x",
                "120",
                "-y",
                "36",
                f"env {exports} {command}",
            ],
            check=True,
        )

    @property
    def tmux(self) -> list[str]:
        return ["tmux", "-L", self.name, "-f", "/dev/null"]

    def screen(self) -> str:
        return subprocess.run(
            [*self.tmux, "capture-pane", "-p", "-t", self.name],
            capture_output=True,
            text=True,
            check=False,
        ).stdout

    def keys(self, *keys: str) -> None:
        for k in keys:
            subprocess.run([*self.tmux, "send-keys", "-t", self.name, k], check=True)
            time.sleep(0.15)

    def wait_for(self, text: str, timeout: float = 20) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            shown = self.screen()
            if text in shown:
                return shown
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared; the screen shows:\n{self.screen()}")

    def wait_question(self, n: int, total: int, timeout: float = 20) -> str:
        """The exam's status line names the question long ("Question 3 of 20") or, in a
        narrow terminal, short ("Q3/20")."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            shown = self.screen()
            if f"Question {n} of {total}" in shown or f"Q{n}/{total} " in shown:
                return shown
            time.sleep(0.1)
        raise AssertionError(f"question {n} of {total} never showed; the screen:\n{self.screen()}")

    def kill(self) -> None:
        subprocess.run([*self.tmux, "kill-server"], check=False, capture_output=True)


def certprep_command() -> str:
    exe = shutil.which("certprep", path=str(Path(sys.executable).parent))
    return exe or f"{sys.executable} -m certprep"


@pytest.fixture
def terminal_env(tmp_path):
    banks = tmp_path / "banks"
    shutil.copytree(
        Path(__file__).parent.parent / "question_banks" / "blueprints", banks / "blueprints"
    )
    (banks / "mine").mkdir()
    (banks / "mine" / "mine.yaml").write_text(dump_bank(make_bank(6, name="mine")))
    return {
        "CERTPREP_BANKS_DIR": str(banks),
        "XDG_DATA_HOME": str(tmp_path / "xdg"),
        "TERM": "xterm-256color",
    }


def _logs(db: Path) -> list[int]:
    con = sqlite3.connect(db)
    try:
        return [r[0] for r in con.execute("SELECT rating FROM review_log ORDER BY id")]
    finally:
        con.close()


def _answered(db: Path) -> int:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT count(*) FROM exam_answer WHERE response != '[]'").fetchone()[0]
    finally:
        con.close()


def test_review_session_rates_with_1_to_4_and_undoes(tmp_path, terminal_env) -> None:
    db = tmp_path / "t.db"
    term = Terminal(f"{certprep_command()} --db {db} review --exam cpc", terminal_env)
    try:
        term.wait_for("Question 0 of the mine bank")
        term.keys("a")  # option a is right for question 0
        term.wait_for("Correct")
        term.keys("4")  # Easy
        term.wait_for("Question 1 of the mine bank")
        assert _logs(db) == [4]
        term.keys("a")  # wrong for question 1
        term.wait_for("Not quite")
        term.keys("1")
        term.wait_for("Question 2 of the mine bank")
        assert _logs(db) == [4, 1]
        term.keys("u")
        term.wait_for("Undone")
        assert _logs(db) == [4]
        term.keys("b")
        term.wait_for("Correct")
        term.keys("3")
        term.wait_for("Good: next in")
        assert _logs(db) == [4, 3]
        term.keys("Escape", "q")
    finally:
        term.kill()


def test_exam_survives_sigkill_and_resumes_in_place(tmp_path, terminal_env) -> None:
    import os
    import signal

    from certprep.banks.lint import load_blueprints

    cpc = load_blueprints(Path(terminal_env["CERTPREP_BANKS_DIR"]) / "blueprints")["cpc"]
    bank = make_bank(120, name="mock", sections=tuple(s.key for s in cpc.sections))
    (Path(terminal_env["CERTPREP_BANKS_DIR"]) / "mine" / "mine.yaml").write_text(dump_bank(bank))
    db = tmp_path / "exam.db"
    term = Terminal(
        f"{certprep_command()} --db {db} exam cpc --seed 3 --questions 20", terminal_env
    )
    try:
        term.wait_question(1, 20)
        term.keys("a", "n")
        term.wait_question(2, 20)
        term.keys("b", "f", "n")
        term.wait_question(3, 20)
        term.keys("c")
        end = time.monotonic() + 10
        while time.monotonic() < end and _answered(db) < 3:
            time.sleep(0.1)
        assert _answered(db) == 3
        pid = int(
            subprocess.run(
                [*term.tmux, "list-panes", "-t", term.name, "-F", "#{pane_pid}"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()[0]
        )
        os.kill(pid, signal.SIGKILL)
    finally:
        term.kill()
    again = Terminal(f"{certprep_command()} --db {db} exam resume", terminal_env)
    try:
        again.wait_question(3, 20)
        again.keys("g")
        shown = again.wait_for("3 answered")
        assert "1 flagged" in shown
    finally:
        again.kill()
