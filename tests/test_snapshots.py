"""Snapshot tests of every screen and modal at 120x36 and 80x24, on a fixed clock and fixed data.

Stable by construction: the clock is fake, the data is the sample bank plus a small exam, and
each snapshot waits for the screen's workers (and the home counts) to finish before it is taken.
Home's tables are built with their final column widths (tui/widgets/fitted_table.py), and the
code book's index is built before its snapshots start, so neither races a worker.
A missing snapshot fails (pytest-textual-snapshot); `--snapshot-update` writes them on purpose."""

from __future__ import annotations

from typing import Any

import pytest

from certprep.banks.importer import import_bank
from certprep.banks.native import load_bank
from certprep.services import Services
from certprep.services.exams import ExamService
from certprep.tui.app import make_app

from .codebook_index import session_index
from .conftest import DATA, make_bank
from .exams import small_blueprint

SIZES = [(120, 36), (80, 24)]
size_ids = [f"{w}x{h}" for w, h in SIZES]


@pytest.fixture
def data(services: Services) -> Services:
    import_bank(services.engine, load_bank(DATA / "sample_bank.yaml"), checksum="sample")
    import_bank(services.engine, make_bank(12, sections=("icd10cm", "hcpcs")), checksum="gen")
    return services


async def _settle(pilot: Any) -> None:
    from certprep.tui.screens.home import HomeScreen

    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.05)
    home = next((s for s in pilot.app.screen_stack if isinstance(s, HomeScreen)), None)
    for _ in range(100):  # the counts arrive from a worker thread
        if home is None or home.summary is not None:
            break
        await pilot.pause(0.02)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause(0.05)


def _keys(*keys: str, exam: int | None = None, submitted: bool = False):
    async def run_before(pilot: Any) -> None:
        await _settle(pilot)
        if exam is not None:
            from certprep.tui.screens.exam import ExamScreen
            from certprep.tui.screens.exam_results import ExamResultsScreen

            services = pilot.app.services
            screen = (ExamResultsScreen if submitted else ExamScreen)(services, exam)
            await pilot.app.push_screen(screen)
            await _settle(pilot)
        for k in keys:
            await pilot.press(k)
            await _settle(pilot)

    return run_before


def _attempt(services: Services, *, answered: bool = False, submit: bool = False) -> int:
    exams = ExamService(services)
    aid = exams.start(small_blueprint(), seed=7)
    if answered:
        view = exams.load(aid)
        for q in view.questions[:3]:
            exams.answer(aid, q.position, [q.item.choices[0].key])
        exams.flag(aid, 1)
    if submit:
        exams.submit(aid)
    return aid


BOOK_SEARCH = (*"asthma", "enter", "enter")

SCREENS: dict[str, dict[str, Any]] = {
    "home": {},
    "help": {"keys": ("question_mark",)},
    "my_exams": {"keys": ("m",)},
    "review_question": {"keys": ("r",)},
    "review_answered": {"keys": ("r", "b")},
    "review_history": {"keys": ("r", "b", "i")},
    "exam_start": {"keys": ("e",)},
    "report": {"keys": ("t",)},
    "stats": {"keys": ("s",)},
    "settings": {"keys": ("o",)},
    "import": {"keys": ("i",)},
    "exam_question": {"attempt": {"answered": True}},
    "exam_navigator": {"attempt": {"answered": True}, "keys": ("g",)},
    "exam_submit": {"attempt": {"answered": True}, "keys": ("ctrl+s",)},
    "exam_unfinished": {"attempt": {"answered": True}, "home_keys": ("e",)},
    "results": {"attempt": {"answered": True, "submit": True}},
    "results_walkthrough": {"attempt": {"answered": True, "submit": True}, "keys": ("r",)},
    "browser": {"keys": ("b",)},
    # with data, so the charts are drawn: score and pacing in the report, reviews in statistics
    "stats_charts": {"attempt": {"answered": True, "submit": True}, "home_keys": ("s",)},
    # the code book (its index built before the app starts): an ICD-10-CM term searched, enter
    # moves to the results, enter opens the first (its notes; not the timed "N results in x ms")
    "codebook": {"keys": ("k", *BOOK_SEARCH), "book": True},
    "codebook_exam": {"attempt": {"answered": True}, "keys": ("k", *BOOK_SEARCH), "book": True},
}


@pytest.mark.parametrize("size", SIZES, ids=size_ids)
@pytest.mark.parametrize("name", list(SCREENS))
def test_screen(
    snap_compare,
    data: Services,
    name: str,
    size: tuple[int, int],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    spec = SCREENS[name]
    if spec.get("book"):
        session_index(tmp_path_factory)  # ready before the panel mounts: no "Preparing…" race
    aid = None
    if "attempt" in spec:
        aid = _attempt(data, **spec["attempt"])
    if "home_keys" in spec:
        run_before = _keys(*spec["home_keys"])
    else:
        run_before = _keys(
            *spec.get("keys", ()), exam=aid, submitted=spec.get("attempt", {}).get("submit", False)
        )
    assert snap_compare(make_app(data), terminal_size=size, run_before=run_before)


def test_report_charts_whole_page(snap_compare, data: Services) -> None:
    """The report with an attempt, tall enough to show its charts: sections, score with the
    pass line, pacing per section."""
    _attempt(data, answered=True, submit=True)
    assert snap_compare(make_app(data), terminal_size=(120, 90), run_before=_keys("t"))


async def test_home_tables_are_final_when_the_counts_arrive(
    data: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cause of the race that kept home out of the snapshots: the tables' column widths were
    widened on the DataTable's next idle, after show(); a frame drawn in between cached the header
    at the old widths, and that line was reused after (the header then stood narrower than its
    rows in 1 run in several). The widths a frame can see right after show() are the final ones."""
    from textual.widgets import DataTable

    from certprep.tui.screens.home import HomeScreen

    _attempt(data, answered=True, submit=True)  # a row in "Last attempts" too
    show = HomeScreen.show
    seen: dict[str, list[int]] = {}

    def show_and_measure(self: HomeScreen, summary: Any) -> None:
        show(self, summary)
        for table in self.query(DataTable):  # what a frame drawn now would use
            seen[str(table.id)] = [c.get_render_width(table) for c in table.ordered_columns]

    monkeypatch.setattr(HomeScreen, "show", show_and_measure)
    app = make_app(data)
    async with app.run_test(size=(120, 36)) as pilot:
        await _settle(pilot)
        final = {
            str(t.id): [c.get_render_width(t) for c in t.ordered_columns]
            for t in app.screen.query(DataTable)
        }
        assert set(final) == {"exams", "attempts"}
        assert seen == final
        exams = app.screen.query_one("#exams", DataTable)
        header, cpc = exams.render_line(0).text, exams.render_line(1).text
        assert "Certified Professional Coder" in cpc
        assert header.index("Items") == cpc.index(" 17 ") + 1  # the header over its column
        assert header.index("Exam day") == cpc.index("—")
