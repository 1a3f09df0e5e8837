"""The home screen: what is due, which exams one can sit, the last attempts, and the keys."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, ProgressBar, Static

from certprep.tui.widgets.fitted_table import fill_table

if TYPE_CHECKING:  # imported lazily: the home screen paints before the database opens
    from certprep.services import Services
    from certprep.services.services import HomeSummary


EXAM_COLUMNS = ("Exam", "Items", "Due now", "New today", "Learning", "Exam day")
ATTEMPT_COLUMNS = ("Started", "Attempt", "Status", "Score")


def _exam_day(exam_date: str | None, days_left: int | None) -> str:
    if exam_date is None or days_left is None:
        return "—  (o to set)"
    if days_left < 0:
        return f"{exam_date} (past)"
    if days_left == 0:
        return f"{exam_date} (today!)"
    return f"{exam_date} ({days_left} days left)"


def exam_label(name: str, narrow: bool) -> str:
    """Narrower than 100 columns, the short name in the name's parentheses ("CPC"), so the
    counts and the exam day fit beside it."""
    if narrow and name.endswith(")") and "(" in name:
        return name[name.rindex("(") + 1 : -1]
    return name


def codeset_year_note() -> str:
    """Which code-set year the content matches, so a candidate sitting a later exam knows."""
    from certprep.core.codes import CM_YEAR, SHIPPED_ITEMS_INVALID_IN_FY2027

    n = SHIPPED_ITEMS_INVALID_IN_FY2027
    later = CM_YEAR + 1
    affected = (
        f"no shipped question uses a code FY{later} deleted or expanded"
        if n == 0
        else f"{n} shipped question{'s use' if n > 1 else ' uses'} a code FY{later} deleted or "
        "expanded (`certprep banks check` lists them)"
    )
    return (
        f"Questions are written for the FY{CM_YEAR} ICD-10-CM and ICD-10-PCS code sets and "
        f"checked also against the FY{later} valid codes (in effect since 1 October {CM_YEAR}): "
        f"{affected}; FY{later}'s new codes are not taught."
    )


class HomeScreen(Screen[None]):
    """Due counts per exam, exams to start, last attempts."""

    DEFAULT_CSS = """
    HomeScreen #loading { height: auto; padding: 1 2; }
    HomeScreen #loading.done { display: none; }
    HomeScreen #resume { padding: 0 2; color: $warning; height: auto; }
    HomeScreen #resume.hidden { display: none; }
    HomeScreen .title { padding: 1 2 0 2; text-style: bold; }
    HomeScreen DataTable { height: auto; max-height: 12; margin: 0 2; }
    HomeScreen #empty { padding: 0 2; color: $text-muted; }
    HomeScreen #focus { padding: 0 2; height: auto; }
    HomeScreen #codeset { padding: 1 2 0 2; color: $text-muted; height: auto; }
    """
    BINDINGS = [
        Binding("r", "review", "Review"),
        Binding("e", "exam", "Exam"),
        Binding("c", "resume", "Resume exam", show=False),
        Binding("i", "import_bank", "Import"),
        Binding("t", "report", "Report"),
        Binding("b", "browse", "Cards"),
        Binding("k", "code_book", "Book"),
        Binding("s", "stats", "Stats"),
        Binding("o", "settings", "Options"),
        Binding("m", "choose_exams", "My exams", show=False),  # named on the focus line
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.summary: HomeSummary | None = None
        self.asked = False
        self.narrow = False  # the exams named short (CPC) to fit 80 columns
        self._counts = 0  # counts started; only the last one's summary is shown

    @property
    def services(self) -> Services:
        return self.app.services  # type: ignore[attr-defined, no-any-return]

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="loading", classes="done"):
            yield Static("Loading the bundled question banks…", id="loading-label", markup=False)
            yield ProgressBar(id="loading-bar", show_eta=False)
        yield Static("", id="resume", classes="hidden", markup=False)
        yield Static("Your exams", classes="title", markup=False)
        yield Static("", id="focus", markup=False)
        yield DataTable(id="exams", cursor_type="row", zebra_stripes=True)
        yield Static("Last attempts", classes="title", markup=False)
        yield DataTable(id="attempts", cursor_type="row")
        yield Static("", id="empty", markup=False)
        yield Static("", id="codeset", markup=False)  # filled once the data is in
        # every home key fits at 80 columns; ctrl+p (the palette) is in the help screen
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#exams", DataTable).add_columns(*EXAM_COLUMNS)
        self.query_one("#attempts", DataTable).add_columns(*ATTEMPT_COLUMNS)
        self._counts += 1
        self.load(self._counts)

    def on_resize(self) -> None:
        if self.summary is not None and (self.size.width < 100) != self.narrow:
            self.show(self.summary)  # the exams' long or short names

    def on_screen_resume(self) -> None:
        if self.summary is not None:
            self.refresh_counts()

    @work(thread=True, group="home")
    def load(self, number: int) -> None:
        """Open the database, load the shipped banks the first time (progress bar), then count."""
        try:
            services = self.services
        except Exception as exc:
            from certprep.tui.errors import describe_open_error

            message = describe_open_error(exc)
            if message is None:
                raise
            self.app.call_from_thread(self.app.exit, None, 2, message)
            return
        pending = services.pending_bundled_banks()
        if pending:
            self.app.call_from_thread(self._show_loading, len(pending))
            self.services.load_bundled_banks(
                lambda done, total, name: self.app.call_from_thread(self._advance, done, name)
            )
        summary = self.services.home_summary()
        self.app.call_from_thread(self._counted, number, summary)

    def refresh_counts(self) -> None:
        """Count off the UI thread; only the newest count is shown. Counts overlap (coming back
        counts, so does the change that brought one back); an older one, read before the change,
        is dropped by its number, not cancelled (its thread would deliver it all the same)."""
        self._counts += 1
        self._count(self._counts)

    @work(thread=True, group="home")
    def _count(self, number: int) -> None:
        summary = self.services.home_summary()
        self.app.call_from_thread(self._counted, number, summary)

    def _counted(self, number: int, summary: HomeSummary) -> None:
        if number == self._counts:  # else a newer count is on its way
            self.show(summary)

    def _show_loading(self, total: int) -> None:
        self.query_one("#loading").remove_class("done")
        self.query_one("#loading-bar", ProgressBar).update(total=total, progress=0)

    def _advance(self, done: int, name: str) -> None:
        self.query_one("#loading-bar", ProgressBar).update(progress=done)
        self.query_one("#loading-label", Static).update(
            Text(f"Loading the bundled question banks… {name}")
        )

    def my_exams(self) -> list[str]:
        """The exams the learner prepares for, as chosen (first start, then settings)."""
        return list(self.services.settings.get("my_exams") or [])

    def show(self, summary: HomeSummary) -> None:
        self.summary = summary
        # off the path to the first frame: core.codes is imported after the database opened
        self.query_one("#codeset", Static).update(codeset_year_note())
        self.query_one("#loading").add_class("done")
        exams = self.query_one("#exams", DataTable)
        mine = self.my_exams()
        current = self.services.settings.get("current_exam") or (mine[0] if mine else None)
        rows = sorted(
            summary.exams, key=lambda c: (mine.index(c.exam) if c.exam in mine else 99, c.exam)
        )
        self.narrow = narrow = self.size.width < 100
        cells = [
            [("★ " if c.exam in mine else "  ") + exam_label(c.name, narrow)]
            + [str(n) for n in (c.items, c.due_now, c.new_today, c.learning)]
            + [_exam_day(c.exam_date, c.days_left)]
            for c in rows
        ]
        keys = [c.exam for c in rows]
        bps = self.services.blueprints()
        for k in mine:  # a chosen exam with no questions yet still has its row
            if k not in keys and k in bps:
                cells.append([f"★ {exam_label(bps[k].name, narrow)}", "0", "0", "0", "0", "—"])
                keys.append(k)
        # the table is built once, its widths final: nothing widens it after a frame is drawn
        fill_table(exams, EXAM_COLUMNS, ([Text(x) for x in row] for row in cells), keys)
        if current in keys:
            exams.move_cursor(row=keys.index(current))
        self._show_focus()
        if not (mine or self.asked) and summary.total_items and self.app.screen is self:
            self.asked = True  # first start: which exam? (asked once; settings change it)
            self.call_after_refresh(self._ask_exams)
        lines = [
            [
                Text(a.started_at.astimezone().strftime("%Y-%m-%d %H:%M")),
                Text(a.title),
                Text(a.status.replace("_", " ")),
                Text("" if a.score is None else f"{a.score:.0%} {'pass' if a.passed else 'fail'}"),
            ]
            for a in summary.attempts
        ]
        keys = [str(a.id) for a in summary.attempts]
        fill_table(self.query_one("#attempts", DataTable), ATTEMPT_COLUMNS, lines, keys)
        empty = self.query_one("#empty", Static)
        if summary.total_items == 0:
            empty.update("No questions yet: press i to import a bank.")
        elif not summary.attempts:
            empty.update("No attempts yet: press e to sit a mock exam, r to review.")
        else:
            empty.update("")
        resume = self.query_one("#resume", Static)
        if summary.in_progress is not None:
            resume.update(
                Text(f"An exam is in progress: {summary.in_progress.title} — press c to resume.")
            )
            resume.remove_class("hidden")
        else:
            resume.add_class("hidden")

    def _selected_exam(self) -> str | None:
        table = self.query_one("#exams", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return str(key) if key is not None else None

    def _show_focus(self) -> None:
        exam = self._selected_exam()
        mine = self.my_exams()
        t = Text()
        if mine:
            t.append("Preparing for " + ", ".join(k.upper() for k in mine) + ".  ")
        if exam:
            t.append("r review, e exam and t report act on ")
            t.append(exam.upper(), style="bold")
            t.append(" (↑↓ to choose another; m changes your exams).")
        self.query_one("#focus", Static).update(t)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "exams" and self.summary is not None:
            self._show_focus()

    def _remember(self, exam: str | None) -> None:
        """The exam last acted on is where certprep opens next time."""
        if exam and exam != self.services.settings.get("current_exam"):
            self.services.update_settings(current_exam=exam)

    def _ask_exams(self) -> None:
        if self.app.screen is self:  # not over a screen opened meanwhile (review, exam)
            self.action_choose_exams()
        else:
            self.asked = False

    def action_choose_exams(self) -> None:
        from certprep.tui.screens.choose_exams import ChooseExamsScreen

        shipped = ["cpc", "cpb", "ccs"]
        found = self.services.blueprints()
        order = sorted(found, key=lambda k: (shipped.index(k) if k in shipped else 99, k))

        def chosen(keys: list[str] | None) -> None:
            if keys:
                self.services.update_settings(my_exams=keys, current_exam=keys[0])
                self.refresh_counts()

        self.app.push_screen(
            ChooseExamsScreen({k: found[k] for k in order}, self.my_exams()), chosen
        )

    def action_review(self) -> None:
        from certprep.services.review import ReviewFilter
        from certprep.tui.screens.review import ReviewScreen

        exam = self._selected_exam()
        self._remember(exam)
        self.app.push_screen(ReviewScreen(self.services, ReviewFilter(exam=exam)))

    def action_exam(self) -> None:
        """Start a mock exam; an unfinished one is offered first (resume, abandon, start anyway)."""
        from certprep.services.exams import ExamService
        from certprep.tui.screens.unfinished_exam import UnfinishedExamScreen

        unfinished = ExamService(self.services).unfinished()
        if not unfinished:
            self._start_exam()
            return

        def chosen(choice: str | None) -> None:
            if choice == "resume":
                self.action_resume()
            elif choice == "abandon":
                exams = ExamService(self.services)
                for a in unfinished:
                    exams.abandon(a.id)
                n = len(unfinished)
                self.notify(f"Abandoned {n} unfinished exam{'s' if n != 1 else ''}.")
                self.refresh_counts()
                self._start_exam()
            elif choice == "start":
                self._start_exam()

        self.app.push_screen(UnfinishedExamScreen(unfinished), chosen)

    def _start_exam(self) -> None:
        from certprep.tui.screens.exam import ExamScreen
        from certprep.tui.screens.exam_start import ExamStartScreen

        def started(attempt_id: int | None) -> None:
            if attempt_id is not None:
                self.app.push_screen(ExamScreen(self.services, attempt_id))

        exam = self._selected_exam()
        self._remember(exam)
        self.app.push_screen(ExamStartScreen(self.services, exam=exam), started)

    def action_resume(self) -> None:
        from certprep.services.exams import ExamService
        from certprep.tui.screens.exam import ExamScreen

        attempt_id = ExamService(self.services).in_progress()
        if attempt_id is None:
            self.notify("No exam is in progress: press e to start one.")
            return
        self.app.push_screen(ExamScreen(self.services, attempt_id))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on an attempt opens its results (or the exam, if it is still going)."""
        if event.data_table.id != "attempts" or event.row_key.value is None:
            return
        from certprep.tui.screens.exam import ExamScreen
        from certprep.tui.screens.exam_results import ExamResultsScreen

        attempt_id = int(event.row_key.value)
        line = next(
            (a for a in (self.summary.attempts if self.summary else []) if a.id == attempt_id), None
        )
        if line is not None and line.status == "in_progress":
            self.app.push_screen(ExamScreen(self.services, attempt_id))
        else:
            self.app.push_screen(ExamResultsScreen(self.services, attempt_id))

    def action_code_book(self) -> None:
        """The code book on its own: ICD-10-CM, ICD-10-PCS, MS-DRG CC/MCC."""
        from certprep.tui.screens.codebook import CodeBookScreen

        self.app.push_screen(CodeBookScreen(self.services))

    def action_import_bank(self) -> None:
        from certprep.tui.screens.import_bank import ImportScreen

        self.app.push_screen(ImportScreen(self.services))

    def action_report(self) -> None:
        from certprep.tui.screens.report import ReportScreen

        exam = self._selected_exam()
        self._remember(exam)
        self.app.push_screen(ReportScreen(self.services, exam))

    def action_browse(self) -> None:
        from certprep.tui.screens.browser import BrowserScreen

        self.app.push_screen(BrowserScreen(self.services))

    def action_stats(self) -> None:
        from certprep.tui.screens.stats import StatsScreen

        self.app.push_screen(StatsScreen(self.services))

    def action_settings(self) -> None:
        from certprep.tui.screens.settings import SettingsScreen

        def saved(changed: bool | None) -> None:
            if changed:
                self.notify("Settings saved.")
                self.refresh_counts()

        self.app.push_screen(SettingsScreen(self.services), saved)
