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
  r  daily review        e  start a mock exam    c  resume the exam
  i  import a bank       t  report               b  card browser
  k  code book           s  statistics           o  settings
  m  my exams            ? / F1  this help       q  quit
  ctrl+p  command palette

Review
  a–f / 1–6  answer      space  show the answer
  enter  check a typed code; then rate with the highlighted rating
  1 2 3 4  rate Again / Hard / Good / Easy (the interval is on each key)
  u / ctrl+z  undo       s  suspend              -  bury until tomorrow
  !  flag                m / *  mark             i  card history
  k  code book           +  study more (when done)
  escape  end the session

Exam
  a–f / 1–6  choose (a sixth choice: press 6, f flags)
  x then a letter  strike a choice out           f  flag
  n / p / arrows  next / previous                g  question navigator
  k  code book beside the question               t  show or hide the pace
  z  pause (untimed and tutor only)              escape  leave (saved)
  ctrl+s  submit (lists the unanswered and flagged questions first)
  Results: r  walk through every question   w  only the wrong ones
           f  only flagged   a  all   t  report

How your reviews are scheduled
  Every question is a card scheduled by FSRS, a model of memory. After
  each answer FSRS predicts when your chance of recalling the card falls
  to your desired retention (90% by default) and shows the card again
  then. A wrong answer in an exam puts the card back in your review queue.
  Exam-date mode: when you set the date of your exam, a review that would
  fall after that date is pulled before it, so that on exam day as many
  cards as your daily limits allow are still above your desired retention.
  The study day starts at 4:00 in your time zone, like Anki (both are
  in settings, o on home).

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
    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(HELP_TEXT, markup=False)

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
