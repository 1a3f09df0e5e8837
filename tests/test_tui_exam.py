"""Sitting an exam on the screen: start, answer, strike, flag, navigate, submit, review, clock."""

from __future__ import annotations

import pytest
from textual.widgets import Button, Input, RadioSet, Static

from certprep.banks.importer import import_bank
from certprep.core.models import Blueprint
from certprep.services import Services
from certprep.services.exams import ExamService
from certprep.tui.app import make_app
from certprep.tui.screens.confirm_submit import ConfirmSubmitScreen
from certprep.tui.screens.exam import ExamScreen
from certprep.tui.screens.exam_navigator import ExamNavigatorScreen
from certprep.tui.screens.exam_results import ExamResultsScreen
from certprep.tui.screens.exam_start import ExamStartScreen
from tests.conftest import FakeClock
from tests.exams import small_blueprint


def _text(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def _open_exam(app, pilot, attempt_id: int) -> ExamScreen:
    await app.workers.wait_for_complete()
    await pilot.pause()
    screen = ExamScreen(app.services, attempt_id)
    await app.push_screen(screen)
    await pilot.pause()
    assert app.screen is screen
    return screen


def _letter_of(screen: ExamScreen, key: str) -> str:
    return screen.question.display_letter(key)


async def test_answer_strike_flag_navigate_submit_and_review(exam_services: Services) -> None:
    exams = ExamService(exam_services)
    aid = exams.start(small_blueprint(), seed=11)
    app = make_app(exam_services)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _open_exam(app, pilot, aid)
        assert "Question 1 of 5" in _text(app, "#status")
        assert "0:40:00 left" in _text(app, "#clock")
        q0 = screen.question
        right = q0.item.correct_keys[0]
        wrong = next(c.key for c in q0.item.choices if not c.correct)
        # strike a wrong choice out, then choose the right one by its display letter
        await pilot.press("x", _letter_of(screen, wrong))
        await pilot.press(_letter_of(screen, right))
        await pilot.pause()
        stored = exams.load(aid).questions[0]
        assert stored.response == [right] and stored.struck == [wrong]
        assert "answered 1/5" in _text(app, "#status")
        await pilot.press("f")  # flag
        assert exams.load(aid).questions[0].flagged
        assert "⚑ flagged" in _text(app, "#status")
        await pilot.press("n")
        assert "Question 2 of 5" in _text(app, "#status")
        assert exams.load(aid).position == 1
        q1 = screen.question
        wrong1 = next(c.key for c in q1.item.choices if not c.correct)
        await pilot.press(str(q1.choice_order.index(wrong1) + 1))  # digits choose too
        assert exams.load(aid).questions[1].response == [wrong1]
        await pilot.press("left")
        assert "Question 1 of 5" in _text(app, "#status")
        # the navigator: jump to question 4
        await pilot.press("g")
        await pilot.pause()
        assert isinstance(app.screen, ExamNavigatorScreen)
        await pilot.press("right", "right", "right", "enter")
        await pilot.pause()
        assert app.screen is screen and "Question 4 of 5" in _text(app, "#status")
        assert exams.load(aid).position == 3
        # submit: the confirmation counts unanswered and flagged questions
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmSubmitScreen)
        counts = _text(app, "#counts")
        assert "3 unanswered" in counts and "1 flagged" in counts
        await pilot.press("n")  # keep working
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, ExamResultsScreen)
        result = _text(app, "#result")
        assert "Score 1/5 (20%)" in result and "FAIL" in result
        assert "ICD-10-CM" in result and "HCPCS Level II" in result
        assert exams.load(aid).status == "submitted"
        # review of answers, wrong only, then flagged only
        await pilot.press("w")
        assert "Reviewing wrong or unanswered: 1 of 4" in _text(app, "#filter")
        assert "✘ wrong" in _text(app, "#answer")
        await pilot.press("f")
        answer = _text(app, "#answer")
        assert "Question 1" in answer and "✔ right" in answer and "Rationale" not in answer
        assert "Because." in answer and "Test reference" in answer
        await pilot.press("escape")
        assert "Score 1/5" in _text(app, "#result")


async def test_thirty_minute_warning_and_auto_submit(
    exam_services: Services, clock: FakeClock
) -> None:
    exams = ExamService(exam_services)
    aid = exams.start(small_blueprint(minutes=40), seed=12)
    app = make_app(exam_services)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _open_exam(app, pilot, aid)
        await pilot.press("a")
        clock.advance(minutes=9, seconds=59)
        screen.refresh_clock()
        assert "0:30:01 left" in _text(app, "#clock")
        assert _text(app, "#notice") == ""
        clock.advance(seconds=1)
        screen.refresh_clock()
        assert "30 minutes left." in _text(app, "#notice")
        assert exams.load(aid).time_used_s == 600  # committed by the tick
        clock.advance(minutes=25)
        screen.refresh_clock()
        assert "5 minutes left." in _text(app, "#notice")
        await pilot.press("g")  # a modal is open when the time runs out
        await pilot.pause()
        clock.advance(minutes=5)
        await pilot.pause(1.2)  # the screen's own one-second timer does it
        await pilot.pause()
        assert isinstance(app.screen, ExamResultsScreen)
        view = exams.load(aid)
        assert view.status == "submitted" and view.time_used_s == 40 * 60
        assert "used 0:40:00 of 0:40:00" in _text(app, "#result")


async def test_tutor_mode_shows_the_rationale_and_pauses(
    exam_services: Services, clock: FakeClock
) -> None:
    exams = ExamService(exam_services)
    aid = exams.start(small_blueprint(), seed=13, mode="tutor")
    app = make_app(exam_services)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _open_exam(app, pilot, aid)
        assert "time 0:00:00" in _text(app, "#clock")
        q = screen.question
        await pilot.press(_letter_of(screen, q.item.correct_keys[0]))
        assert "Correct." in _text(app, "#feedback") and "Because." in _text(app, "#feedback")
        await pilot.press("z")  # pause
        assert "Paused" in _text(app, "#question")
        clock.advance(hours=3)
        await pilot.press("z")
        assert exams.load(aid).time_used_s == 0
        await pilot.press("escape")  # leaving pauses an untimed attempt
        await pilot.pause()
        assert not isinstance(app.screen, ExamScreen)
        assert exams.load(aid).paused
        # resume: same question, the answer is there
        screen = await _open_exam(app, pilot, aid)
        assert "Question 1 of 5" in _text(app, "#status")
        assert "Correct." in _text(app, "#feedback")


def _code_exam(services: Services) -> tuple[ExamService, int]:
    """An attempt of three code-entry questions (a box takes the codes)."""
    from certprep.core.models import Bank

    bank = Bank.model_validate(
        {
            "name": "codes",
            "exams": ["cpc"],
            "items": [
                {
                    "id": f"c{i}",
                    "kind": "code",
                    "section": "icd10cm",
                    "stem": f"[bold]Code[/] this {i}",
                    "codes": ["I10"],
                    "rationale": "[red]why[/red]",
                    "references": ["ref"],
                }
                for i in range(3)
            ],
        }
    )
    import_bank(services.engine, bank, checksum="codes")
    bp = Blueprint.model_validate(
        {
            "key": "cpc",
            "name": "codes",
            "questions": 3,
            "time_limit_minutes": 10,
            "pass_mark": 0.5,
            "item_kinds": ["code"],
            "sections": [{"key": "icd10cm", "title": "ICD", "questions": 3}],
        }
    )
    exams = ExamService(services)
    return exams, exams.start(bp, seed=1)


async def test_code_entry_and_markup_safe(services: Services) -> None:
    exams, aid = _code_exam(services)
    app = make_app(services)
    async with app.run_test(size=(120, 36)) as pilot:
        await _open_exam(app, pilot, aid)
        assert "[bold]Code[/]" in _text(app, "#question")
        assert isinstance(app.focused, Input)
        await pilot.press("i", "1", "0", "enter")
        await pilot.pause()
        assert exams.load(aid).questions[0].response == ["i10"]
        assert exams.load(aid).questions[0].correct is True
        await pilot.press("n")
        assert "Question 2 of 3" in _text(app, "#status")
        # the results walk-through shows the same text literally
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, ExamResultsScreen)
        await pilot.press("r")
        await pilot.pause()
        answer = _text(app, "#answer")
        assert "[bold]Code[/] this" in answer and "[red]why[/red]" in answer


async def test_start_modal_starts_and_reports_a_short_pool(exam_services: Services) -> None:
    app = make_app(exam_services)
    got: list[int | None] = []
    async with app.run_test(size=(120, 36)) as pilot:
        await app.workers.wait_for_complete()
        await app.push_screen(ExamStartScreen(exam_services), got.append)
        await pilot.pause()
        assert app.screen.query_one("#exam", RadioSet).pressed_button is not None
        await pilot.press("ctrl+s")  # the full CPC form: far too few items
        await app.workers.wait_for_complete()
        await pilot.pause()
        error = _text(app, "#error")
        assert "icd10cm: needs 10, has 6 (4 short)" in error
        assert "no items at all: surgery_10000, surgery_20000" in error
        assert "A shorter form of 1 question fits" in error
        assert app.screen.query_one("#questions", Input).value == "1"
        app.screen.query_one("#mode", RadioSet).query_one("#mode-tutor").value = True  # type: ignore[attr-defined]
        await pilot.pause()
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
    # one question fits: the largest section, ICD-10-CM, gets it
    assert len(got) == 1 and got[0] is not None
    view = ExamService(exam_services).load(got[0])
    assert view.mode == "tutor" and [q.section for q in view.questions] == ["icd10cm"]


async def test_start_modal_returns_an_attempt(exam_services: Services, blueprints_only) -> None:
    (blueprints_only / "blueprints" / "small.yaml").write_text(
        small_blueprint().model_dump_json(), encoding="utf-8"
    )
    exam_services._blueprints = None
    app = make_app(exam_services)
    got: list[int | None] = []
    async with app.run_test(size=(120, 36)) as pilot:
        await app.workers.wait_for_complete()
        await app.push_screen(ExamStartScreen(exam_services, exam="cpc"), got.append)
        await pilot.pause()
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert got and got[0] is not None
    assert ExamService(exam_services).load(got[0]).mode == "timed"


async def test_resuming_after_the_time_ran_out_submits(
    exam_services: Services, clock: FakeClock
) -> None:
    exams = ExamService(exam_services)
    aid = exams.start(small_blueprint(minutes=40), seed=14)
    q = exams.load(aid).questions[0]
    exams.answer(aid, 0, q.item.correct_keys)
    clock.advance(hours=3)  # the terminal was killed; the learner comes back much later
    app = make_app(exam_services)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.workers.wait_for_complete()
        await app.push_screen(ExamScreen(exam_services, aid))
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, ExamResultsScreen)
        assert "Score 1/5" in _text(app, "#result")
    assert exams.load(aid).status == "submitted"


async def test_opening_a_submitted_attempt_shows_its_results(exam_services: Services) -> None:
    exams = ExamService(exam_services)
    aid = exams.start(small_blueprint(), seed=15)
    exams.submit(aid)
    app = make_app(exam_services)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.workers.wait_for_complete()
        await app.push_screen(ExamScreen(exam_services, aid))
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, ExamResultsScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ExamResultsScreen | ExamScreen)


@pytest.mark.sqlite_only
async def test_a_locked_database_keeps_the_learner_on_the_question_and_saves_later(
    exam_services: Services, monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> None:
    """Another writer holds the lock past the timeout: a notice, no crash, the answer is
    retried every second and saved once the lock is gone."""
    import sqlite3

    from certprep.store import engine as store_engine
    from certprep.store.engine import sqlite_path

    exams = ExamService(exam_services)
    aid = exams.start(small_blueprint(), seed=21)
    monkeypatch.setattr(store_engine, "BUSY_TIMEOUT_MS", 100)
    from certprep.services import open_services

    services = open_services(
        str(sqlite_path(exam_services.engine)), "tester", clock=clock, banks_dir=None
    )
    app = make_app(services)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _open_exam(app, pilot, aid)
        q0 = screen.question
        right = q0.item.correct_keys[0]
        holder = sqlite3.connect(str(sqlite_path(exam_services.engine)), timeout=0.1)
        holder.execute("BEGIN IMMEDIATE")
        try:
            await pilot.press(_letter_of(screen, right))
            await pilot.press("f")
            await pilot.pause()
            assert app.screen is screen  # still on the question, no traceback
            assert "Not saved yet" in _text(app, "#notice")
            assert "Question 1 of 5" in _text(app, "#status")
            screen.refresh_clock()  # a retry while the lock is still held: still unsaved
            assert screen.unsaved
        finally:
            holder.rollback()
            holder.close()
        clock.advance(seconds=1)
        screen.refresh_clock()
        await pilot.pause()
        assert not screen.unsaved
        assert "Saved" in _text(app, "#notice")
        stored = exams.load(aid).questions[0]
        assert stored.response == [right] and stored.flagged  # both changes, in order
        assert "answered 1/5" in _text(app, "#status") and "⚑ flagged" in _text(app, "#status")


async def test_submit_dialog_lists_questions_jumps_and_defaults_to_going_back(
    exam_services: Services,
) -> None:
    exams = ExamService(exam_services)
    aid = exams.start(small_blueprint(), seed=31)
    app = make_app(exam_services)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _open_exam(app, pilot, aid)
        await pilot.press("a", "n", "f", "n", "a")  # 1 answered, 2 flagged, 3 answered
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmSubmitScreen)
        counts = _text(app, "#counts")
        assert "3 unanswered: 2, 4, 5" in counts and "1 flagged for review: 2" in counts
        await pilot.press("enter")  # enter goes back, it never submits
        await pilot.pause()
        assert app.screen is screen and exams.load(aid).status == "in_progress"
        await pilot.press("ctrl+s")
        await pilot.pause()
        app.screen.query_one("#jump").focus()
        await pilot.press("down", "enter")  # the second entry: question 4, unanswered
        await pilot.pause()
        assert app.screen is screen and "Question 4 of 5" in _text(app, "#status")
        assert exams.load(aid).status == "in_progress"


def test_the_submit_dialog_names_runs_of_questions_as_ranges() -> None:
    from certprep.tui.screens.confirm_submit import _numbers

    assert _numbers([1, 3, 4]) == "2, 4, 5"
    assert _numbers(list(range(2, 100))) == "3–100"
    assert _numbers([0, 2, 3, 4, 9, 10, 40]) == "1, 3–5, 10, 11, 41"
    assert _numbers([]) == ""


async def test_the_submit_dialog_of_a_100_question_form_fits_80x24(
    exam_services: Services,
) -> None:
    """98 questions left blank: one range, and the buttons still on the screen."""
    app = make_app(exam_services)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(ConfirmSubmitScreen(100, list(range(2, 100)), [1]))
        await pilot.pause()
        counts = _text(app, "#counts")
        assert "98 unanswered: 3–100" in counts and "1 flagged for review: 2" in counts
        for button in app.screen.query(Button):
            region = button.region
            assert region.height and region.bottom <= 24, button.id


async def test_escape_while_the_form_is_drawn_leaves_no_attempt_running(
    exam_services: Services,
) -> None:
    app = make_app(exam_services)
    got: list[int | None] = []
    async with app.run_test(size=(120, 36)) as pilot:
        await app.workers.wait_for_complete()
        start = ExamStartScreen(exam_services)
        await app.push_screen(start, got.append)
        await pilot.pause()
        start.query_one("#questions", Input).value = "3"
        await pilot.press("ctrl+s", "escape")  # the draw runs in a worker; escape right away
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert got == [None]
    exams = ExamService(exam_services)
    assert exams.in_progress() is None
    assert [a.status for a in exams.history()] in ([], ["abandoned"])


async def test_starting_an_exam_offers_the_unfinished_one(exam_services: Services) -> None:
    from certprep.tui.screens.unfinished_exam import UnfinishedExamScreen

    exams = ExamService(exam_services)
    first = exams.start(small_blueprint(), seed=41)
    app = make_app(exam_services)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, UnfinishedExamScreen)
        await pilot.press("r")  # resume
        await pilot.pause()
        assert isinstance(app.screen, ExamScreen) and app.screen.attempt_id == first
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("a")  # abandon it, then the start dialog opens
        await pilot.pause()
        assert isinstance(app.screen, ExamStartScreen)
    assert exams.in_progress() is None
    assert [a.status for a in exams.history()] == ["abandoned"]


async def test_pace_marker_and_pacing_in_results(exam_services: Services, clock: FakeClock) -> None:
    """40 minutes for 5 questions is 8 minutes each: 20 minutes for one answer, with the next
    question on screen (16 minutes of budget), is 4 behind; the results say where that pace
    leads and which question cost most."""
    exams = ExamService(exam_services)
    aid = exams.start(small_blueprint(minutes=40), seed=51)
    app = make_app(exam_services)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _open_exam(app, pilot, aid)
        clock.advance(minutes=20)
        screen.refresh_clock()
        await pilot.press("a")
        await pilot.pause()
        assert "behind 4:00" in _text(app, "#status")
        await pilot.press("t")  # hidden, and remembered
        assert "behind" not in _text(app, "#status")
        assert exam_services.settings["show_pace"] is False
        await pilot.press("t")
        assert "behind 4:00" in _text(app, "#status")
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        result = _text(app, "#result")
        assert "Pacing" in result
        assert "you reach question 2 of 5 when time runs out" in result
        assert "costliest: question 1 (0:20:00)" in result


async def test_the_code_book_opens_beside_the_question_in_a_timed_exam(
    exam_services: Services,
) -> None:
    """Open-book: k opens the code book beside the question; a lookup is logged with the
    question; escape closes it and the letters answer again."""
    from certprep.services.codebook import lookups_by_item
    from certprep.tui.widgets.codebook import CodeBookPanel

    exams = ExamService(exam_services)
    aid = exams.start(small_blueprint(), seed=61)
    app = make_app(exam_services)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _open_exam(app, pilot, aid)
        panel = screen.query_one("#book", CodeBookPanel)
        assert not panel.display
        await pilot.press("k")
        await pilot.pause()
        assert panel.display and panel.has_focus_within
        body = screen.query_one("#body")
        assert body.region.width > 0 and panel.region.x >= body.region.right  # beside it
        await pilot.press(*"E11.22", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        logged = lookups_by_item(exam_services, aid)
        assert [x.item_id for x in logged] == [screen.question.item.id]
        await pilot.press("escape")
        await pilot.pause()
        assert not panel.display and app.screen is screen
        right = screen.question.item.correct_keys[0]
        await pilot.press(_letter_of(screen, right))
        await pilot.pause()
        assert exams.load(aid).questions[0].response == [right]
        # the results say which question needed the book
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        result = _text(app, "#result")
        assert "Code book" in result and "question 1: 1 lookup" in result, result
        assert "E11.22" in result


@pytest.mark.sqlite_only
async def test_a_database_damaged_mid_exam_is_a_notice_not_a_traceback(
    exam_services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    exams = ExamService(exam_services)
    aid = exams.start(small_blueprint(), seed=71)
    app = make_app(exam_services)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _open_exam(app, pilot, aid)

        def damaged(*args: object, **kw: object) -> None:
            raise sqlite3.DatabaseError("database disk image is malformed")

        monkeypatch.setattr(screen.exams, "answer", damaged)
        await pilot.press("a")
        await pilot.pause()
        assert app.screen is screen
        assert "damaged" in _text(app, "#notice")


async def test_the_status_line_follows_a_resized_terminal(exam_services: Services) -> None:
    exams = ExamService(exam_services)
    aid = exams.start(small_blueprint(), seed=91)
    app = make_app(exam_services)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_exam(app, pilot, aid)
        assert _text(app, "#status").startswith("Q1/5")
        await pilot.resize_terminal(120, 36)
        await pilot.pause()
        assert _text(app, "#status").startswith("Question 1 of 5")


def _escape_says(app) -> str:
    """What the footer says escape does now."""
    shown = app.screen.active_bindings["escape"]
    assert shown.enabled and shown.binding.show
    return shown.binding.description


async def test_the_footer_says_what_escape_does_in_the_code_box(services: Services) -> None:
    _, aid = _code_exam(services)
    app = make_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_exam(app, pilot, aid)
        assert isinstance(app.focused, Input)  # a code question: the box has the cursor
        assert _escape_says(app) == "Leave the box"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen and app.focused is None  # left the box, not the exam
        assert _escape_says(app) == "Leave"
        await pilot.press("n")  # the keys act again
        assert _text(app, "#status").startswith("Q2/3")


async def test_the_footer_says_what_escape_does_striking_and_in_the_book(
    exam_services: Services,
) -> None:
    from certprep.tui.widgets.codebook import CodeBookPanel

    exams = ExamService(exam_services)
    aid = exams.start(small_blueprint(), seed=11)
    app = make_app(exam_services)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_exam(app, pilot, aid)
        assert _escape_says(app) == "Leave"
        await pilot.press("x")  # strike out which choice?
        await pilot.pause()
        assert _escape_says(app) == "Cancel"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen and "strike out which" not in _text(app, "#hint")
        assert _escape_says(app) == "Leave"
        await pilot.press("k")  # the code book beside the question has the cursor
        await pilot.pause()
        panel = screen.query_one("#book", CodeBookPanel)
        assert panel.has_focus_within
        assert _escape_says(app) == "Close the code book"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen and not panel.display
        assert _escape_says(app) == "Leave"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not screen  # now escape leaves the exam
