"""The statistics screen: reviews per day, due forecast, true retention, cards by state."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from certprep.services.services import Services
from certprep.services.stats import Retention, ReviewStats, review_stats
from certprep.tui.widgets.charts import Chart


def _pct(passed: int, total: int) -> str:
    rate = Retention.rate(passed, total)
    return "—" if rate is None else f"{rate:.0%} of {total}"


class StatsScreen(Screen[None]):
    """How much you studied and how well you remember."""

    DEFAULT_CSS = """
    StatsScreen .title { padding: 1 2 0 2; text-style: bold; }
    StatsScreen .axis { padding: 0 2; color: $text-muted; }
    StatsScreen DataTable { height: auto; margin: 0 2; }
    """
    BINDINGS = [Binding("escape,q", "back", "Back")]

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield Chart(id="history")
            yield Static("", id="history-axis", classes="axis", markup=False)
            yield Chart(id="forecast")
            yield Static("", id="forecast-axis", classes="axis", markup=False)
            yield Static(
                "True retention, last 30 days (young < 21 days, mature ≥ 21)",
                classes="title",
                markup=False,
            )
            yield DataTable(id="retention")
            yield Chart(id="retention-weeks")
            yield Static("Cards by state", classes="title", markup=False)
            yield DataTable(id="states")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#retention", DataTable).add_columns("Exam", "Young", "Mature")
        self.query_one("#states", DataTable).add_columns(
            "New", "Learning", "Review", "Relearning", "Suspended"
        )
        self.load()

    @work(thread=True)
    def load(self) -> None:
        data = review_stats(self.services)
        self.app.call_from_thread(self.show, data)

    def show(self, s: ReviewStats) -> None:
        self.query_one("#history", Chart).show_bars(
            [d[5:] for d in s.days], s.reviews_per_day, title="Reviews per day, last 90 days"
        )
        self.query_one("#history-axis", Static).update(
            Text(
                f"{s.days[0]} … {s.days[-1]}   total {sum(s.reviews_per_day)}, "
                f"best day {max(s.reviews_per_day)}"
            )
        )
        self.query_one("#forecast", Chart).show_bars(
            [d[5:] for d in s.forecast_days],
            s.due_per_day,
            title="Cards due per day, next 30 days",
        )
        self.query_one("#forecast-axis", Static).update(
            Text(
                f"{s.forecast_days[0]} … {s.forecast_days[-1]}   due today {s.due_per_day[0]}, "
                f"next 7 days {sum(s.due_per_day[:7])}"
            )
        )
        self.query_one("#retention-weeks", Chart).show_bars(
            [w[5:] for w in s.weeks],
            [round(100 * r) if r is not None else 0 for r in s.retention_per_week],
            title="True retention per week (%), cards in review (no bar: no reviews)",
        )
        table = self.query_one("#retention", DataTable)
        table.clear()
        for r in s.retention:
            table.add_row(
                r.exam.upper(),
                _pct(r.young_passed, r.young_total),
                _pct(r.mature_passed, r.mature_total),
            )
        if not s.retention:
            table.add_row("—", "no reviews of cards in review yet", "")
        states = self.query_one("#states", DataTable)
        states.clear()
        st = s.states
        states.add_row(
            *(str(st[k]) for k in ("new", "learning", "review", "relearning", "suspended"))
        )

    def action_back(self) -> None:
        self.dismiss(None)
