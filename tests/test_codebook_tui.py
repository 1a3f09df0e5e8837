"""The code-book panel beside a question (Pilot), and the code-book screen."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input, OptionList, Static

from certprep.services.codebook import CodeBook, Lookup, lookups_by_item
from certprep.tui.screens.codebook import CodeBookScreen
from certprep.tui.widgets.codebook import CodeBookPanel

from .codebook_index import session_index


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> CodeBook:
    return CodeBook(session_index(tmp_path_factory))


class QuestionWithBook(App[None]):
    """A minimal screen: a question on the left, the code book docked on the right."""

    BINDINGS = [("f4", "open_book", "Code book")]
    CSS = "#q { width: 1fr; }"

    def __init__(self, book: CodeBook, services=None, attempt_id=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__()
        self.now = 100.0  # the panel's clock, moved by hand
        self.book = book
        self.services = services
        self.attempt_id = attempt_id
        self.lookups: list[Lookup] = []

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static("Question 7: a patient with type 2 diabetes and CKD stage 3…", id="q")
            yield CodeBookPanel(
                self.services,
                book=self.book,
                on_lookup=self.lookups.append,
                clock=lambda: self.now,
                id="book",
            )

    def on_mount(self) -> None:
        panel = self.query_one(CodeBookPanel)
        panel.set_question(self.attempt_id, "gen-00001")
        panel.display = False

    def action_open_book(self) -> None:
        self.query_one(CodeBookPanel).open()


class BookHome(App[None]):
    """An app that opens on the code-book screen."""

    def __init__(self, book: CodeBook) -> None:
        super().__init__()
        self.book = book

    def on_mount(self) -> None:
        self.push_screen(CodeBookScreen(book=self.book))


def _detail(app: App[None]) -> str:
    return str(app.query_one("#codebook-detail", Static).render())


async def _settle(pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_panel_opens_beside_the_question_searches_and_shows_notes(book: CodeBook) -> None:
    app = QuestionWithBook(book)
    async with app.run_test(size=(140, 45)) as pilot:
        panel = app.query_one(CodeBookPanel)
        assert not panel.display
        app.now = 200.0
        await pilot.press("f4")
        assert panel.display
        assert isinstance(app.focused, Input)
        await pilot.press(*"e1122")
        app.now = 212.5  # 12.5 s to type the search
        await pilot.press("enter")
        await _settle(pilot)
        results = app.query_one("#codebook-results", OptionList)
        assert results.option_count >= 1
        assert results.get_option_at_index(0).id == "cm:E11.22"
        found = _detail(app).split(" in ")[0]  # "1 result", "3 results"
        assert found == f"{results.option_count} result" + ("s" * (results.option_count > 1))
        assert app.focused is results
        app.now = 230.0  # 17.5 s more to pick the code
        await pilot.press("enter")
        await _settle(pilot)
        text = _detail(app)
        assert "Type 2 diabetes mellitus with diabetic chronic kidney disease" in text
        assert "Use additional code" in text and "N18.1-N18.6" in text
        assert "Excludes1 (at E11)" in text
        assert "Billable" in text
        # the question is still on screen, the panel beside it and inside the screen
        question = app.query_one("#q", Static).region
        assert question.width > 40 and question.right <= panel.region.x
        assert panel.region.width >= 40 and panel.region.right <= 140
        # one lookup for the search (enter), one for the code opened, with the question
        assert [(x.query, x.code, x.item_id, x.spent_s) for x in app.lookups] == [
            ("e1122", None, "gen-00001", 12.5),
            ("E11.22", "E11.22", "gen-00001", 17.5),
        ]
        await pilot.press("escape")
        assert not panel.display


async def test_pcs_prefix_lists_valid_next_characters(book: CodeBook) -> None:
    app = QuestionWithBook(book)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("f4")
        await pilot.press(*"0DTJ4Z")
        await _settle(pilot)
        results = app.query_one("#codebook-results", OptionList)
        ids = [results.get_option_at_index(i).id for i in range(results.option_count)]
        assert ids == ["pcs:0DTJ4ZG", "pcs:0DTJ4ZZ"]
        assert "Resection" in _detail(app) and "Appendix" in _detail(app)
        results.focus()
        results.highlighted = 1
        await pilot.press("enter")
        await _settle(pilot)
        assert "Percutaneous Endoscopic Approach" in _detail(app)
        assert "No Qualifier" in _detail(app)


async def test_an_index_entry_leads_to_the_table(book: CodeBook) -> None:
    app = QuestionWithBook(book)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("f4", *"appendectomy", "enter")
        await _settle(pilot)
        results = app.query_one("#codebook-results", OptionList)
        assert results.get_option_at_index(0).id == "pcsindex:Appendectomy"
        await pilot.press("enter")
        await _settle(pilot)
        assert "see Resection, Appendix 0DTJ" in _detail(app)
        ids = [results.get_option_at_index(i).id for i in range(results.option_count)]
        assert ids == ["pcsnext:0DBJ", "pcsnext:0DTJ"]
        results.highlighted = 1
        await pilot.press("enter")
        await _settle(pilot)
        # the approaches valid for a resection of the appendix
        ids = [results.get_option_at_index(i).id for i in range(results.option_count)]
        assert "pcsnext:0DTJ4" in ids and "pcsnext:0DTJ3" not in ids
        assert "Approach" in _detail(app)


async def test_table_text_is_shown_literally(book: CodeBook) -> None:
    # the tabular list itself has square brackets: "Giardiasis [lambliasis]" (A07.1) would lose
    # its synonym if it were read as markup
    app = QuestionWithBook(book)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("f4")
        await pilot.press(*"giardiasis", "enter")
        await _settle(pilot)
        results = app.query_one("#codebook-results", OptionList)
        assert "Giardiasis [lambliasis]" in str(results.get_option_at_index(0).prompt)
        await pilot.press("enter")
        await _settle(pilot)
        assert "Giardiasis [lambliasis]" in _detail(app)
        box = app.query_one("#codebook-query", Input)
        box.value = "[bold]x[/bold] \x1b[2J"
        await _settle(pilot)
        assert "No codes found" in _detail(app)


@pytest.mark.both_backends
async def test_lookups_from_the_panel_are_logged(book: CodeBook, services) -> None:  # type: ignore[no-untyped-def]
    from certprep.banks.importer import import_bank
    from certprep.services.exams import ExamService

    from .conftest import make_bank
    from .test_exam_service import SECTIONS, small_blueprint

    import_bank(services.engine, make_bank(12, sections=SECTIONS), checksum="gen")
    attempt = ExamService(services).start(small_blueprint(), seed=3)
    app = QuestionWithBook(book, services, attempt)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("f4", *"asthma", "enter")
        await _settle(pilot)
        app.now += 8.0
        await pilot.press("enter")  # open the first result
        await _settle(pilot)
    logged = lookups_by_item(services, attempt)
    assert [(x.item_id, x.queries, x.lookups) for x in logged] == [
        ("gen-00001", ["asthma", "J45"], 2)
    ]
    assert logged[0].book_s == pytest.approx(8.0)  # the clock stood still while typing


async def test_code_book_screen_browses_and_closes(book: CodeBook) -> None:
    app = BookHome(book)
    async with app.run_test(size=(120, 40)) as pilot:
        await _settle(pilot)
        assert isinstance(app.screen, CodeBookScreen)
        await pilot.press("ctrl+b")
        await _settle(pilot)
        results = app.screen.query_one("#codebook-results", OptionList)
        assert results.get_option_at_index(3).id == "browse:4"
        results.highlighted = 3
        await pilot.press("enter")
        await _settle(pilot)
        ids = [results.get_option_at_index(i).id for i in range(results.option_count)]
        assert "browse:E08-E13" in ids

        async def pick(option_id: str) -> list[str | None]:
            ids = [results.get_option_at_index(i).id for i in range(results.option_count)]
            results.highlighted = ids.index(option_id)
            await pilot.press("enter")
            await _settle(pilot)
            return [results.get_option_at_index(i).id for i in range(results.option_count)]

        assert "cm:E11" in await pick("browse:E08-E13")
        assert "cm:E11.2" in await pick("cm:E11")
        assert "cm:E11.22" in await pick("cm:E11.2")
        await pick("cm:E11.22")
        assert "Type 2 diabetes mellitus with diabetic chronic kidney disease" in str(
            app.screen.query_one("#codebook-detail", Static).render()
        )
        # PCS: sections, then only the body systems that exist in section 0
        await pilot.press("ctrl+t", "ctrl+t", "ctrl+b")  # all -> cm -> pcs, browse
        await _settle(pilot)
        sections = [results.get_option_at_index(i).id for i in range(results.option_count)]
        assert sections[0] == "pcsnext:0" and "pcsnext:X" in sections
        body_systems = await pick("pcsnext:0")
        assert "pcsnext:0D" in body_systems and len(body_systems) == 31
        assert "pcsnext:0A" not in body_systems and "pcsnext:0E" not in body_systems
        await pilot.press("escape")
        await _settle(pilot)
        assert not isinstance(app.screen, CodeBookScreen)


def _drawn_results(app: App[None]) -> list[str]:
    """The result list as drawn, line by line (without its border)."""
    results = app.screen.query_one("#codebook-results", OptionList)
    lines = [results.render_line(y).text for y in range(results.size.height)]
    return [line.strip(" ▊▎▁▃▅▆▇█") for line in lines]


CODE_FIRST = re.compile(r"^E11\.3\w*\s+(not billable|billable)\s+Type 2 diabetes")


async def test_at_80_columns_each_result_is_one_line_with_its_marker(book: CodeBook) -> None:
    """A long title is cut with … so the code and billable/not billable stay on one line (they
    used to wrap onto a line of their own); the code opened shows the title whole."""
    app = BookHome(book)
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        await pilot.press(*"E11.3")
        await _settle(pilot)
        drawn = _drawn_results(app)
        assert len(drawn) >= 4
        assert all(CODE_FIRST.match(line) for line in drawn), drawn
        assert drawn[0].startswith("E11.3     not billable  Type 2 diabetes")
        assert any(line.endswith("…") for line in drawn)
        assert "Type 2 diabetes mellitus with ophthalmic complications" not in drawn[0]
        await pilot.press("enter", "enter")  # to the results, open the first
        await _settle(pilot)
        detail = str(app.screen.query_one("#codebook-detail", Static).render())
        assert "Type 2 diabetes mellitus with ophthalmic complications" in detail
        # its codes below: the marker by the code too, the title whole (it may wrap here)
        assert (
            "E11.31    not billable  Type 2 diabetes mellitus with unspecified diabetic" in detail
        )
        assert "E11.36    billable      Type 2 diabetes mellitus with diabetic cataract" in detail


async def test_beside_a_question_the_marker_stays_by_its_code(book: CodeBook) -> None:
    """The panel is narrow beside a question: a title wraps, billable or not stays by the code."""
    app = QuestionWithBook(book)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f4", *"E11.3")
        await _settle(pilot)
        drawn = [line for line in _drawn_results(app) if "billable" in line]
        assert drawn and all(re.match(r"^E11\.3\w*\s+(not )?billable", line) for line in drawn)


async def test_an_index_that_cannot_be_built_is_a_message_not_a_crash(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    app = QuestionWithBook(CodeBook(blocker / "codebook.sqlite"))
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("f4", *"asthma")
        await _settle(pilot)
        assert "The code book cannot be prepared" in _detail(app)
        assert app.query_one("#q", Static).display  # the question is still there


def test_index_path_is_under_the_data_dir_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    from certprep.store.codebook import INDEX_ENV, default_index_path

    monkeypatch.delenv(INDEX_ENV, raising=False)
    path = default_index_path()
    assert path.parent.name == "codebook" and path.suffix == ".sqlite"
    assert Path(path).parent.parent.name == "certprep"
