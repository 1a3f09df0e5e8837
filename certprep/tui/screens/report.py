"""The report screen: readiness, weak topics with a drill action, sections, score trend."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Header, Static

from certprep.services.report import ExamReport, build_report, exams_with_items
from certprep.services.report_format import pacing_lines, predicted, prob, weak_lines
from certprep.services.services import Services
from certprep.tui.screens.loaded import LoadedScreen
from certprep.tui.widgets.charts import Chart


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.0%}"


def _bar(x: float | None, width: int = 20) -> Text:
    if x is None:
        return Text("·" * width, style="dim")
    full = round(x * width)
    return Text("█" * full + "░" * (width - full), style="green" if x >= 0.7 else "red")


class ReportScreen(LoadedScreen[tuple[list[str], "ExamReport | None"]]):
    """What to study next, and am I ready?"""

    DEFAULT_CSS = """
    ReportScreen .title { padding: 1 2 0 2; text-style: bold; }
    ReportScreen #readiness { padding: 0 2; height: auto; }
    ReportScreen DataTable { height: auto; max-height: 14; margin: 0 2; }
    ReportScreen #assumptions { padding: 0 2; color: $text-muted; height: auto; }
    """
    BINDINGS = [
        Binding("left,h", "prev_exam", "Prev exam"),
        Binding("right,l", "next_exam", "Next exam"),
        Binding("d", "drill", "Drill topic"),
        Binding("escape,q", "back", "Back"),
    ]

    def __init__(self, services: Services, exam: str | None = None) -> None:
        super().__init__()
        self.services = services
        self.exam = exam
        self.exams: list[str] = []
        self.report: ExamReport | None = None
        self.weak_topics: list[str] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield Static("", id="readiness", markup=False)
            yield Static(
                "Weak topics — press d (or enter) to drill the highlighted one",
                classes="title",
                markup=False,
            )
            yield DataTable(id="weak", cursor_type="row")
            yield Static(
                "Sections: accuracy on exams and memory now", classes="title", markup=False
            )
            yield DataTable(id="sections", cursor_type="row")
            yield Chart(id="sections-chart")
            yield Static("Score per attempt", classes="title", markup=False)
            yield Chart(id="trend")
            yield Chart(id="pacing-chart")
            yield Static("", id="history", markup=False)
            yield Static("", id="assumptions", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#weak", DataTable).add_columns(
            "#", "Topic", "Section", "Points lost", "Accuracy", "Memory"
        )
        self.query_one("#sections", DataTable).add_columns(
            "Section", "Qs", "Accuracy", "", "Memory", "", "Due", "Predicted"
        )
        self.load()

    def fetch(self) -> tuple[list[str], ExamReport | None]:
        exams = exams_with_items(self.services)
        exam = self.exam or (exams[0] if exams else None)
        return exams, build_report(self.services, exam) if exam in exams else None

    def show(self, data: tuple[list[str], ExamReport | None]) -> None:
        exams, rep = data
        self.exams = exams
        self.report = rep
        ready = self.query_one("#readiness", Static)
        if rep is None:
            what = f"No {self.exam.upper()} questions" if self.exam else "No questions"
            ready.update(f"{what} yet: import a bank first (i on the home screen).")
            return
        self.exam = rep.exam
        r = rep.readiness
        t = Text()
        t.append(rep.name, style="bold")
        if len(exams) > 1:
            t.append(f"   ({exams.index(rep.exam) + 1}/{len(exams)}, ← → for others)", style="dim")
        if not rep.has_evidence:  # the prior alone is not a forecast of this learner
            t.append(f"\nReadiness ({rep.forecast_for}): ")
            t.append(rep.no_evidence, style="bold")
            t.append(f"; pass mark {_pct(rep.pass_mark)}")
            t.append("".join(f"\n{x}" for x in weak_lines(rep) or []), style="dim")
        else:
            t.append(f"\nReadiness ({rep.forecast_for}): predicted ")
            t.append(_pct(r.expected), style="bold")
            t.append(
                f" (95% {_pct(r.low)}–{_pct(r.high)}), pass mark {_pct(rep.pass_mark)}, "
                "chance of passing "
            )
            t.append(
                prob(r.pass_probability),  # never rounds to certainty: >99%, <1%
                style="bold green" if r.pass_probability >= 0.8 else "bold red",
            )
        if rep.pace_warning:
            t.append(f"\n{rep.pace_warning}", style="bold red")
        if rep.pass_note:
            t.append(f"\n{rep.pass_note}", style="italic")
        t.append("\nPacing (last timed mock): ", style="bold")
        t.append("\n  ".join(pacing_lines(rep)))
        ready.update(t)
        weak = self.query_one("#weak", DataTable)
        weak.clear()
        # a topic can be weak in two sections: rows are keyed by rank, the topic kept aside
        shown = rep.weak if rep.has_evidence else []  # no evidence: nothing is weak yet
        self.weak_topics = [g.key for g in shown]
        for i, g in enumerate(shown, 1):
            acc = "no answers" if not g.answered else f"{_pct(g.accuracy)} of {g.answered}"
            weak.add_row(
                str(i),
                Text(g.key),
                Text(rep.section_titles.get(g.section, g.section)[:28]),
                f"{g.score:.2f}",
                acc,
                _pct(g.mean_r),
                key=str(i - 1),
            )
        secs = self.query_one("#sections", DataTable)
        secs.clear()
        for g in rep.sections:
            acc = (
                "—"
                if not g.answered
                else f"{_pct(g.accuracy)} of {g.answered}" + (" ⚠" if g.small_sample else "")
            )
            secs.add_row(
                Text(rep.section_titles.get(g.key, g.key)[:40]),
                f"{g.weight:.0f}",
                acc,
                _bar(g.accuracy, 12),
                _pct(g.mean_r),
                _bar(g.mean_r, 12),
                str(g.due),
                predicted(rep, g),
                key=g.key,
            )
        scores = [round(100 * (a.score or 0.0)) for a in rep.attempts]
        # no attempts: no chart at all, the line below says so
        self.query_one("#trend", Chart).show_line(
            list(range(1, len(scores) + 1)),
            scores,
            title="Score per attempt (%), pass mark in red",
            ylabel="%",
            reference=round(100 * rep.pass_mark),
            reference_label="pass",
            ylim=(0, 100),
        )
        p = rep.pacing
        timed = sorted(p.sections, key=lambda x: -x.per_question_s) if p else []
        self.query_one("#pacing-chart", Chart).show_grouped(
            [sp.key[:10] for sp in timed],
            {
                "your seconds per question": [round(sp.per_question_s) for sp in timed],
                "the exam's budget": [round(p.budget_s or 0) for _ in timed] if p else [],
            },
            title="Pacing per section, last timed mock (seconds per question)",
        )
        answered = [g for g in rep.sections if g.answered or g.mean_r is not None]
        self.query_one("#sections-chart", Chart).show_grouped(
            [g.key[:10] for g in answered],
            {
                "exam accuracy": [round(100 * (g.accuracy or 0)) for g in answered],
                "memory now": [round(100 * (g.mean_r or 0)) for g in answered],
            },
            title="Per section (%): accuracy on exams and memory now",
            ylim=(0, 100),
        )
        hist = Text()
        for a in rep.attempts[-5:]:
            res = "pass" if a.passed else "fail"
            hist.append(f"{a.started_at.astimezone().date()}  {_pct(a.score):>4} {res}  ")
            hist.append(a.title)
            hist.append("\n")
        self.query_one("#history", Static).update(
            hist or Text("No submitted attempts yet.", style="dim")
        )
        self.query_one("#assumptions", Static).update(
            Text("How these figures are made:\n" + "\n".join(f"• {a}" for a in rep.assumptions))
        )

    def _switch(self, step: int) -> None:
        if len(self.exams) > 1 and self.exam in self.exams:
            self.exam = self.exams[(self.exams.index(self.exam) + step) % len(self.exams)]
            self.load()

    def action_prev_exam(self) -> None:
        self._switch(-1)

    def action_next_exam(self) -> None:
        self._switch(1)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "weak":
            self.action_drill()

    def action_drill(self) -> None:
        """Start a review filtered to the highlighted weak topic."""
        table = self.query_one("#weak", DataTable)
        if self.report is None or table.row_count == 0:
            return
        row = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        topic = self.weak_topics[int(row or 0)]
        from certprep.services.review import ReviewFilter
        from certprep.tui.screens.review import ReviewScreen

        self.app.push_screen(
            ReviewScreen(
                self.services, ReviewFilter(exam=self.report.exam, topic=topic), extra_new=50
            )
        )

    def action_back(self) -> None:
        self.dismiss(None)
