"""After an exam: the score per section and in total, pass or fail, time, then a review of answers."""

from __future__ import annotations

from collections.abc import Sequence

from rich.style import Style as RichStyle
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from certprep.core.assembly import time_limit_s
from certprep.core.models import ItemKind, code_answer_credit
from certprep.core.pacing import Pacing, Timed, pacing
from certprep.core.scoring import Score, format_duration, format_points
from certprep.services.codebook_log import ItemLookups
from certprep.services.exams import ExamQuestion, ExamService, ExamView
from certprep.services.services import Services
from certprep.tui.widgets.hanging import HANG, hanging
from certprep.tui.widgets.item_view import feedback_text, item_text

FILTERS = {
    "all": "all questions",
    "wrong": "wrong or unanswered",
    "flagged": "flagged",
}


def summary_text(view: ExamView, score: Score, lookups: Sequence[ItemLookups] = ()) -> Text:
    """The result as plain Text: user-given names are appended, never parsed as markup."""
    t = Text()
    t.append(view.title, style="bold")
    t.append("\n\n")
    t.append(
        f"Score {format_points(score.earned)}/{score.total} ({score.fraction:.0%})  ", style="bold"
    )
    if score.passed:
        t.append("PASS", style="bold green")
    else:
        t.append("FAIL", style="bold red")
    t.append(f"   pass mark {score.pass_mark:.0%} of the scored questions\n")
    if score.pretest:
        t.append(f"{score.pretest} unscored pretest questions are not counted.\n", style="dim")
    t.append(f"{score.answered} answered, {score.unanswered} unanswered\n")
    if score.pass_line is not None:
        t.append("\nAbout the pass line\n", style="bold")
        t.append(score.pass_line.statement)
        t.append("\n")
        if view.blueprint.pass_note:
            t.append(view.blueprint.pass_note, style="italic")
            t.append("\n")
    t.append("\nBy section\n", style="bold")
    # the figures first, the whole title after: a narrow terminal wraps the title, not the numbers
    for s in score.sections:
        style = "green" if s.fraction >= score.pass_mark else "red"
        # the figures are the line's hanging prefix: a wrapped title continues under the title
        figures = f"  {format_points(s.earned):>3}/{s.total:<3} {s.fraction:>5.0%}"
        t.append(figures, style=RichStyle.parse(style) + HANG)
        t.append("  ", style=HANG)
        t.append(s.title)
        if s.unanswered:
            t.append(f"  ({s.unanswered} unanswered)", style="dim")
        t.append("\n")
    t.append("\nTime\n", style="bold")
    used = format_duration(score.time_used_s)
    if score.time_limit_s:
        t.append(f"  used {used} of {format_duration(score.time_limit_s)}\n")
        pace = score.time_limit_s / max(1, len(view.questions))
        t.append(f"  the exam's pace: {format_duration(pace)} per question\n")
    else:
        t.append(f"  used {used} (untimed)\n")
    # the same average as the pacing below (over the questions answered), never a second one
    p = _pacing(view)
    per = "per question answered" if p.answered else "per question"
    t.append(f"  average {format_duration(p.per_question_s)} {per}, ")
    t.append(f"slowest {format_duration(score.slowest_s)}\n")
    t.append_text(pacing_text(view))
    t.append_text(book_text(view, lookups))
    t.append("\nr review your answers   w wrong only   f flagged only   escape back", style="dim")
    return t


def _pacing(view: ExamView) -> Pacing:
    titles = {s.key: s.title for s in view.blueprint.sections}
    return pacing(
        [Timed(q.position, q.section, q.time_spent_s, q.answered) for q in view.questions],
        time_limit_s=view.time_limit_s or time_limit_s(view.blueprint, len(view.questions)),
        titles=titles,
    )


def pacing_text(view: ExamView) -> Text:
    """Time per question by section against the exam's budget, the costliest questions, and
    where this pace would leave the learner when time runs out."""
    p = _pacing(view)
    t = Text("\nPacing\n", style="bold")
    t.append(f"  {p.verdict()}\n", style="" if p.finishes else "bold red")
    for sp in sorted(p.sections, key=lambda x: -x.per_question_s):
        over = p.budget_s is not None and sp.per_question_s > p.budget_s
        t.append(
            f"  {format_duration(sp.per_question_s)} per question", style="red" if over else ""
        )
        count = f"{sp.questions}"
        if sp.answered < sp.questions:  # the time is per answered question: say how many
            count = f"{sp.answered} of {sp.questions} answered"
        t.append(f"  {sp.title} ({count})\n")
    if p.slowest:
        t.append("  costliest: ")
        t.append(
            ", ".join(
                f"question {q.position + 1} ({format_duration(q.seconds)})" for q in p.slowest
            )
        )
        t.append("\n")
    return t


def book_text(view: ExamView, lookups: Sequence[ItemLookups]) -> Text:
    """Which questions needed the code book, how often, how long the learner was in it and how
    long the searches took."""
    t = Text("\nCode book\n", style="bold")
    if not lookups:
        t.append("  not opened during this attempt (k opens it beside a question)\n")
        return t
    where = {q.item.id: q.position for q in view.questions}
    for lk in sorted(lookups, key=lambda x: where.get(x.item_id, 10**6)):
        pos = where.get(lk.item_id)
        label = f"question {pos + 1}" if pos is not None else lk.item_id
        t.append(
            f"  {label}: {lk.lookups} lookup{'s' if lk.lookups != 1 else ''}, "
            f"{format_duration(lk.book_s)} in the book, searches {lk.search_ms:.0f} ms"
        )
        if lk.queries:
            t.append(" (")
            t.append(", ".join(lk.queries[:3]))  # the learner's words: plain text
            t.append(")")
        t.append("\n")
    return t


def answer_text(q: ExamQuestion, index: int, total: int) -> Text:
    """One question in review: status, the learner's answer, the key, rationale, references."""
    t = Text()
    t.append(f"Question {q.position + 1}", style="bold")
    t.append(f"  ({index + 1} of {total} shown)  ·  {q.section_title}")
    if q.pretest:
        t.append("  ·  pretest (unscored)", style="dim")
    if q.flagged:
        t.append("  ⚑ flagged", style="bold yellow")
    t.append(f"  ·  time {format_duration(q.time_spent_s)}\n")
    if q.correct is True:
        t.append("✔ right\n", style="bold green")
    elif q.correct is False and q.item.partial_credit and q.response:
        share = code_answer_credit(q.item, list(q.response))
        t.append(
            f"◐ partly right: {format_points(share)} of the point (each right code earns its "
            "share, each wrong extra code takes one back)\n",
            style="bold yellow",
        )
    elif q.correct is False:
        t.append("✘ wrong\n", style="bold red")
    else:
        t.append("— unanswered\n", style="bold yellow")
    if q.response:
        t.append("Your answer: ", style="bold")
        if q.item.choices:
            t.append(", ".join(q.display_letter(k) for k in q.response))
        else:
            t.append(", ".join(q.response))
        t.append("\n")
    t.append("\n")
    order = q.choice_order or None
    t.append_text(
        item_text(
            q.item,
            case_title=q.case_title,
            case_text=q.case_text,
            order=order,
            selected=set(q.response),
            struck=set(q.struck),
            reveal=True,
        )
    )
    t.append("\n")
    given = q.response if q.item.kind is ItemKind.CODE else None
    t.append_text(feedback_text(q.item, q.correct, order=order, given=given))
    return t


class ExamResultsScreen(Screen[None]):
    """The result of one attempt, and a walk through every question."""

    DEFAULT_CSS = """
    ExamResultsScreen #filter { height: 1; padding: 0 2; background: $boost; }
    ExamResultsScreen #filter.hidden { display: none; }
    ExamResultsScreen VerticalScroll { padding: 1 2; }
    ExamResultsScreen #review.hidden { display: none; }
    ExamResultsScreen #summary.hidden { display: none; }
    """
    # short labels: every key still fits the footer at 80 columns
    BINDINGS = [
        Binding("r", "review", "Answers"),
        Binding("w", "filter('wrong')", "Wrong"),
        Binding("f", "filter('flagged')", "Flagged"),
        Binding("a", "filter('all')", "All"),
        Binding("n,right", "step(1)", "Next"),
        Binding("p,left", "step(-1)", "Prev"),
        Binding("t", "report", "Report"),
        Binding("escape,q", "back", "Back"),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Moving between answers is offered while reviewing them."""
        if action in ("step", "review"):
            return (self.mode == "review") == (action == "step")
        return True

    def __init__(self, services: Services, attempt_id: int) -> None:
        super().__init__()
        self.services = services
        self.attempt_id = attempt_id
        self.view: ExamView | None = None
        self.mode = "summary"  # summary | review
        self.filter = "all"
        self.shown: list[ExamQuestion] = []
        self.index = 0

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="filter", classes="hidden", markup=False)
        with VerticalScroll(id="summary"):
            yield Static("", id="result", markup=False)
        with VerticalScroll(id="review", classes="hidden"):
            yield Static("", id="answer", markup=False)
        yield Footer(compact=True, show_command_palette=False)  # every key fits 80 columns

    def on_mount(self) -> None:
        view = ExamService(self.services).load(self.attempt_id)
        self.view = view
        self.title = view.title
        self.sub_title = "results"
        if view.result is None:
            self.query_one("#result", Static).update(Text("This attempt has not been submitted."))
            return
        from certprep.services.codebook import lookups_by_item

        lookups = lookups_by_item(self.services, self.attempt_id)
        self.query_one("#result", Static).update(hanging(summary_text(view, view.result, lookups)))

    # -- review ----------------------------------------------------------------------------
    def _apply_filter(self) -> None:
        assert self.view is not None
        qs = self.view.questions
        if self.filter == "wrong":
            self.shown = [q for q in qs if q.correct is not True]
        elif self.filter == "flagged":
            self.shown = [q for q in qs if q.flagged]
        else:
            self.shown = list(qs)
        self.index = 0

    def _render_review(self) -> None:
        bar = self.query_one("#filter", Static)
        answer = self.query_one("#answer", Static)
        label = FILTERS[self.filter]
        if not self.shown:
            bar.update(Text(f"Reviewing {label}: none"))
            answer.update(Text(f"No {label} questions. a shows all, escape goes back."))
            return
        bar.update(
            Text(
                f"Reviewing {label}: {self.index + 1} of {len(self.shown)}   "
                "n/p move   w wrong   f flagged   a all   escape summary"
            )
        )
        answer.update(hanging(answer_text(self.shown[self.index], self.index, len(self.shown))))
        self.query_one("#review", VerticalScroll).scroll_home(animate=False)

    def _set_mode(self, mode: str) -> None:
        self.mode = mode
        review = mode == "review"
        self.query_one("#review").set_class(not review, "hidden")
        self.query_one("#filter").set_class(not review, "hidden")
        self.query_one("#summary").set_class(review, "hidden")
        self.sub_title = "review of answers" if review else "results"

    def action_review(self) -> None:
        if self.view is None or self.view.result is None:
            return
        if self.mode != "review":
            self._apply_filter()
        self._set_mode("review")
        self._render_review()
        self.refresh_bindings()

    def action_filter(self, name: str) -> None:
        if self.view is None or self.view.result is None:
            return
        self.filter = name
        self._apply_filter()
        self._set_mode("review")
        self._render_review()
        self.refresh_bindings()

    def action_step(self, step: int) -> None:
        if self.mode != "review" or not self.shown:
            return
        new = self.index + step
        if 0 <= new < len(self.shown):
            self.index = new
            self._render_review()

    def action_report(self) -> None:
        """The report for this exam: weak topics and readiness, with this attempt included."""
        from certprep.tui.screens.report import ReportScreen

        self.app.push_screen(
            ReportScreen(self.services, self.view.blueprint.key if self.view else None)
        )

    def action_back(self) -> None:
        if self.mode == "review":
            self._set_mode("summary")
            self.refresh_bindings()
            return
        self.dismiss(None)
