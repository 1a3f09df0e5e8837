"""The help screen: every key, and how scheduling works."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

HELP_TEXT = """\
certprep — keys

Home
  r  daily review          e  start a mock exam      c  resume the exam in progress
  i  import a bank         t  report                  s  statistics
  ?  this help             q  quit                   ctrl+p  command palette

Review
  space  show the answer   a–f / 1–6  choose          enter  check a typed code
  1 2 3 4  rate Again / Hard / Good / Easy (the interval each gives is on its key)
  u / ctrl+z  undo the last answer  s  suspend   b  bury until tomorrow   m  mark   i  card history
  e / escape  end the session

Exam
  a–e / 1–6  choose (6 for a sixth choice: f flags)   x then a letter  strike a choice out
  n / p / arrows  next / previous          f  flag      g  question navigator
  z  pause (untimed and tutor modes only)  ctrl+s  submit (unanswered and flagged counts first)
  Results: r  walk through every question   w  only the wrong ones   f  only flagged   a  all

How your reviews are scheduled
  Every question is a card scheduled by FSRS, a model of memory. After each answer FSRS
  predicts when your chance of recalling the card falls to your desired retention (90% by
  default) and shows the card again then. A wrong answer in an exam puts the card back in
  your review queue.
  Exam-date mode: when you set the date of your exam, a review that would fall after that
  date is pulled before it, so that on exam day as many cards as your daily limits allow
  are still above your desired retention.
  The study day starts at 4:00 local time, like Anki.

Press escape or q to close.
"""


class HelpScreen(ModalScreen[None]):
    """Keys and scheduling rules."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 96; max-width: 100%; height: 90%; border: round $accent; padding: 0 1;
        background: $surface;
    }
    """
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(HELP_TEXT, markup=False)

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
