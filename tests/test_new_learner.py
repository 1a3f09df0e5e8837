"""Defects a new learner met in a real terminal (session 5 audit), each held by a test."""

from __future__ import annotations

import itertools

from typer.testing import CliRunner

from certprep.cli import app

from .conftest import DATA

runner = CliRunner()


async def _exam_screen(pilot, services, aid: int):
    """The exam screen of attempt ``aid``, open over home once home has loaded."""
    from certprep.tui.screens.exam import ExamScreen

    await pilot.app.workers.wait_for_complete()
    screen = ExamScreen(services, aid)
    await pilot.app.push_screen(screen)
    await pilot.pause()
    return screen


def test_a_native_export_to_a_json_file_imports_back(tmp_path) -> None:
    """`export BANK -o bank.json` (native is the default format) wrote YAML into the .json file,
    and `import bank.json` then failed with "not valid JSON"."""
    db = str(tmp_path / "c.db")
    assert runner.invoke(app, ["--db", db, "import", str(DATA / "sample_bank.yaml")]).exit_code == 0
    out = tmp_path / "sample.json"
    exported = runner.invoke(app, ["--db", db, "export", "sample", "-o", str(out)])
    assert exported.exit_code == 0, exported.output
    again = runner.invoke(app, ["--db", str(tmp_path / "d.db"), "import", str(out)])
    assert again.exit_code == 0, again.output
    assert "imported" in again.output


NAMED = {
    "minus": "-",
    "plus": "+",
    "asterisk": "*",
    "exclamation_mark": "!",
    "question_mark": "?",
    "escape": "escape",
}


def _help_section(title: str) -> str:
    from certprep.tui.screens.help import HELP_TEXT

    text = HELP_TEXT.split(f"\n{title}\n", 1)[1]
    return text.split("\n\n", 1)[0]


def test_help_names_every_key_of_home_review_and_exam_and_fits_80_columns() -> None:
    """The help said `b` buries and `e` ends a review (b and e do nothing there: - buries), and
    left out the code book, flag, pace, study more and half the home keys."""
    import re

    from certprep.tui.screens.exam import ExamScreen
    from certprep.tui.screens.help import HELP_TEXT
    from certprep.tui.screens.home import HomeScreen
    from certprep.tui.screens.review import ReviewScreen

    for title, screen in (("Home", HomeScreen), ("Review", ReviewScreen), ("Exam", ExamScreen)):
        section = _help_section(title)
        for binding in screen.BINDINGS:
            for key in binding.key.split(","):  # type: ignore[union-attr]
                if key in ("up", "down", "left", "right"):
                    continue  # scrolling; "arrows" in the text
                shown = NAMED.get(key, key)
                assert re.search(rf"(^|[\s/]){re.escape(shown)}([\s/]|$)", section, re.M), (
                    title,
                    shown,
                )
    assert "b  bury" not in HELP_TEXT and "e / escape" not in HELP_TEXT
    # the modal is 80 columns wide at 80: border, padding and scrollbar leave 74
    assert max(len(line) for line in HELP_TEXT.splitlines()) <= 74


async def test_f1_opens_and_closes_the_help(sample_services) -> None:
    from certprep.tui.app import make_app
    from certprep.tui.screens.help import HelpScreen
    from certprep.tui.screens.home import HomeScreen

    app = make_app(sample_services)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        assert isinstance(app.screen, HomeScreen)


async def test_the_pace_stays_readable_on_a_100_question_form_at_80_columns(services) -> None:
    """At 80 columns, with a question answered and flagged, the status line read "… · ahead"
    with the time cut off (and a section title cut at a word, with no sign of it)."""
    import re

    from certprep.banks.importer import import_bank
    from certprep.core.models import Blueprint
    from certprep.services.exams import ExamService
    from certprep.tui.app import make_app

    from .conftest import make_bank

    import_bank(services.engine, make_bank(100, sections=("icd10cm", "hcpcs")), checksum="gen")
    bp = Blueprint.model_validate(
        {
            "key": "cpc",
            "name": "CPC",
            "questions": 100,
            "time_limit_minutes": 240,
            "pass_mark": 0.7,
            "sections": [
                {"key": "icd10cm", "title": "ICD-10-CM: a long section title", "questions": 50},
                {"key": "hcpcs", "title": "HCPCS Level II", "questions": 50},
            ],
        }
    )
    aid = ExamService(services).start(bp, seed=3)
    app = make_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _exam_screen(pilot, services, aid)
        await pilot.press("a", "f")
        await pilot.pause()
        status = screen.query_one("#status")
        line = status.render_line(0).text.rstrip()
        assert re.search(r"ahead \d+:\d\d", line), line
        assert line.endswith("…"), line  # the title is cut visibly


async def test_the_exam_start_dialog_shows_its_message_at_80x24(exam_services) -> None:
    """At 80x24 the dialog was cut below the question count: the unseen-only and drills boxes,
    the buttons and the message ("Not enough questions…", with the shorter form it filled
    in) were never on screen."""
    from textual.widgets import Static

    from certprep.tui.app import make_app
    from certprep.tui.screens.exam_start import ExamStartScreen

    app = make_app(exam_services)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await app.push_screen(ExamStartScreen(exam_services))
        await pilot.pause()
        await pilot.press("ctrl+s")  # the full CPC form: far too few items
        await app.workers.wait_for_complete()
        await pilot.pause(0.2)
        error = app.screen.query_one("#error", Static)
        assert "A shorter form" in str(error.render())
        assert "below" not in str(error.render())  # the Questions box is above the message
        assert error in app.screen._compositor.visible_widgets


async def test_results_give_one_average_time_per_question(exam_services, clock) -> None:
    """After 20 minutes on the one question answered of five, the results said "average 0:04:00
    per question" (over all five) two lines above "At 20:00 per question" (over the answered)."""
    from textual.widgets import Static

    from certprep.services.exams import ExamService
    from certprep.tui.app import make_app

    from .exams import small_blueprint

    aid = ExamService(exam_services).start(small_blueprint(minutes=40), seed=51)
    app = make_app(exam_services)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _exam_screen(pilot, exam_services, aid)
        clock.advance(minutes=20)
        screen.refresh_clock()
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        result = str(app.screen.query_one("#result", Static).render())
    assert "average 0:20:00 per question answered" in result
    assert "At 20:00 per question" in result
    # and the section's line too: its time over its answered question, not over its three
    assert "0:20:00 per question  ICD-10-CM (1 of 3 answered)" in result, result


async def _review_at_80(sample_services, pilot):
    from certprep.tui.screens.review import ReviewScreen

    await pilot.app.workers.wait_for_complete()
    await pilot.press("r")
    for _ in range(50):
        await pilot.pause(0.02)
        screen = pilot.app.screen
        if isinstance(screen, ReviewScreen) and screen.current is not None:
            return screen
    raise AssertionError("no card to review")


async def test_every_review_key_in_the_footer_fits_80_columns(sample_services) -> None:
    """At 80 columns the review footer stopped at "i History  k▏^p palette": the code book,
    end and help keys (and in the done state, study more) were off the edge."""
    from textual.widgets._footer import FooterKey

    from certprep.tui.app import make_app

    app = make_app(sample_services)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _review_at_80(sample_services, pilot)
        await pilot.press("a")  # answered: rate, suspend, bury, flag, mark, info, book, end
        await pilot.pause()
        keys = list(screen.query(FooterKey))
        assert {"enter", "s", "minus", "k", "escape"} <= {k.key for k in keys}
        visible = screen._compositor.visible_widgets
        for key in keys:
            assert key in visible and key.region.right <= 80, (key.key, key.region)


async def test_the_review_counts_line_wraps_rather_than_losing_the_card_state(
    sample_services,
) -> None:
    """At 80 columns "… answered 30    this card: learning" showed "this card:" and nothing."""
    import dataclasses

    from certprep.tui.app import make_app

    app = make_app(sample_services)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _review_at_80(sample_services, pilot)
        assert screen.current is not None
        screen.current = dataclasses.replace(screen.current, flagged=True, marked=True)
        screen._render_counts()
        await pilot.pause()
        counts = screen.query_one("#counts")
        text = "\n".join(counts.render_line(y).text for y in range(counts.size.height))
        assert "this card:" in text and "marked" in text, text


async def test_nothing_to_review_does_not_offer_undo(sample_services) -> None:
    """With nothing rated yet the end-of-session line said "u undo", and u did nothing."""
    from textual.widgets import Static

    from certprep.services.review import ReviewFilter
    from certprep.tui.app import make_app
    from certprep.tui.screens.review import ReviewScreen

    app = make_app(sample_services)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        screen = ReviewScreen(sample_services, ReviewFilter(exam="cpc", topic="no-such-topic"))
        await app.push_screen(screen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.phase == "done"
        hint = str(screen.query_one("#ratings", Static).render())
        assert "study more" in hint and "undo" not in hint


async def test_settings_fit_an_80_column_terminal(sample_services) -> None:
    """Settings were 84 columns wide whatever the terminal: at 80 the right border, the ends of
    the boxes and the scrollbar were off the screen."""
    from textual.containers import VerticalScroll

    from certprep.tui.app import make_app
    from certprep.tui.screens.settings import SettingsScreen

    app = make_app(sample_services)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)
        box = app.screen.query_one(VerticalScroll)
        assert box.region.right <= 80, box.region


async def test_settings_show_why_they_were_not_saved(sample_services) -> None:
    """An unknown time zone: "Not saved: …" was written below the last field, out of view, so
    ctrl+s seemed to do nothing."""
    from textual.widgets import Input, Static

    from certprep.tui.app import make_app
    from certprep.tui.screens.settings import SettingsScreen

    app = make_app(sample_services)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("o")
        await pilot.pause()
        app.screen.query_one("#time_zone", Input).value = "Mars/Olympus"
        await pilot.press("ctrl+s")
        await pilot.pause(0.2)
        assert isinstance(app.screen, SettingsScreen)
        error = app.screen.query_one("#error", Static)
        assert "Not saved" in str(error.render())
        assert error in app.screen._compositor.visible_widgets
    assert sample_services.settings.get("time_zone") != "Mars/Olympus"


def test_one_day_and_one_attempt_are_singular() -> None:
    """`certprep optimize` said "43 reviews over 1 days"; `stats` said "1 exam attempts"."""
    from certprep.core.optimize import too_little

    result = too_little(43, 1, 0, 0)
    assert result is not None and "43 reviews over 1 day." in result.message


def test_stats_say_one_exam_attempt(tmp_path, monkeypatch) -> None:
    from certprep.cli import report as report_cli

    fake = {
        "items": 5,
        "banks": ["sample"],
        "profile": "default",
        "by_exam": {},
        "cards": dict.fromkeys(("new", "learning", "review", "relearning", "due_now"), 0)
        | {"suspended": 0},
        "reviews": 1,
        "attempts": 1,
    }

    class Fake:
        creates_learner = True

        def stats(self):
            return fake

    monkeypatch.setattr(report_cli.state, "services", lambda *a, **k: Fake())
    out = runner.invoke(app, ["stats"])
    assert out.exit_code == 0, out.output
    assert "1 review, 1 exam attempt\n" in out.output


def _footer_fits(screen, width: int = 80) -> None:
    from textual.widgets._footer import FooterKey

    keys = list(screen.query(FooterKey))
    assert keys
    visible = screen._compositor.visible_widgets
    for key in keys:
        assert key in visible and key.region.right <= width, (key.key, key.region)
    ordered = sorted(keys, key=lambda k: k.region.x)
    for left, right in itertools.pairwise(ordered):  # none drawn over another
        assert left.region.right <= right.region.x, (left.key, left.region, right.key)


async def test_the_browser_and_the_answer_walkthrough_footers_fit_80_columns(
    exam_services,
) -> None:
    """The card browser's footer ended "x Forget ? H▏^p palette", the walkthrough of an exam's
    answers "esc Back ? He▏^p palette"."""
    from certprep.services.exams import ExamService
    from certprep.tui.app import make_app
    from certprep.tui.screens.exam_results import ExamResultsScreen

    from .exams import small_blueprint

    exams = ExamService(exam_services)
    aid = exams.start(small_blueprint(), seed=7)
    exams.submit(aid)
    app = make_app(exam_services)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("b")
        await app.workers.wait_for_complete()
        await pilot.pause(0.2)
        app.screen.set_focus(None)
        await pilot.pause()
        _footer_fits(app.screen)
        await pilot.press("escape")
        await pilot.pause()
        await app.push_screen(ExamResultsScreen(exam_services, aid))
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        _footer_fits(app.screen)


async def test_home_shows_every_column_at_80_and_full_names_at_120(sample_services) -> None:
    """At 80 columns the exams table stopped at "Lear": Learning and Exam day were off the edge
    behind a horizontal scrollbar."""
    from textual.widgets import DataTable

    from certprep.tui.app import make_app

    app = make_app(sample_services)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause(0.2)
        table = app.screen.query_one("#exams", DataTable)
        header, row = table.render_line(0).text, table.render_line(1).text
        assert "Learning" in header and "Exam day" in header, header
        assert "CPC" in row and "(o to set)" in row, row
        await pilot.resize_terminal(120, 36)
        await pilot.pause(0.2)
        row = table.render_line(1).text
        assert "AAPC Certified Professional Coder (CPC)" in row, row


async def test_the_import_screen_section_choice_fits_80_columns(sample_services) -> None:
    """At 80 columns the Section box beside Format and Exam was four columns wide, cut at the
    screen's edge."""
    from textual.widgets import Select

    from certprep.tui.app import make_app

    app = make_app(sample_services)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("i")
        await pilot.pause()
        for name in ("#format", "#exam", "#section"):
            box = app.screen.query_one(name, Select)
            assert box.region.right <= 78 and box.region.width >= 16, (name, box.region)


def test_a_mock_submitted_after_three_answers_is_three_answers_of_evidence(services) -> None:
    """A CPC mock submitted after 3 answers (1 right) made the report say "predicted 31%,
    chance of passing <1%" and "0% of 3" for topics never answered: the 97 blank questions
    were taken as 97 wrong answers (while the results said only the misses went to review)."""
    import sqlalchemy as sa

    from certprep.services.report import build_report
    from certprep.store.engine import writing
    from certprep.store.tables import EXAM_ANSWER

    from .test_readiness_report import load, sit

    items = load(services, "cpc")
    before = build_report(services, "cpc").readiness.expected  # the prior alone
    sit(services, "cpc", items, right=100, days_ago=1, attempt=1)
    with writing(services.engine) as conn:  # only the first three were answered
        conn.execute(
            sa.update(EXAM_ANSWER)
            .where(EXAM_ANSWER.c.attempt_id == 1, EXAM_ANSWER.c.position >= 3)
            .values(response=[], correct=False, answered_at=None)
        )
    rep = build_report(services, "cpc")
    assert [a.score for a in rep.attempts] == [0.03]  # the attempt's own score counts blanks
    assert sum(g.answered for g in rep.sections) == 3
    assert rep.readiness.expected >= before - 0.01  # three right answers lower nothing


async def test_tutor_brings_the_rationale_into_view_below_a_long_case(services) -> None:
    """Tutor mode after a CCS record's answer said "the rationale is shown" while the screen
    still showed the top of the record: the rationale was two screens down."""
    from certprep.banks.importer import import_bank
    from certprep.core.models import Blueprint
    from certprep.services.exams import ExamService
    from certprep.tui.app import make_app

    from .conftest import make_bank

    bank = make_bank(2, sections=("icd10cm",))
    for item in bank.items:
        item.stem = "A long inpatient record, line after line. " * 120
    import_bank(services.engine, bank, checksum="long")
    bp = Blueprint.model_validate(
        {
            "key": "cpc",
            "name": "One",
            "questions": 1,
            "time_limit_minutes": 10,
            "pass_mark": 0.7,
            "sections": [{"key": "icd10cm", "title": "ICD-10-CM", "questions": 1}],
        }
    )
    aid = ExamService(services).start(bp, seed=1, mode="tutor")
    app = make_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _exam_screen(pilot, services, aid)
        q = screen.question
        await pilot.press(q.display_letter(q.item.correct_keys[0]))
        await pilot.pause(0.2)
        body, feedback = screen.query_one("#body"), screen.query_one("#feedback")
        assert body.scroll_y > 0
        assert feedback in screen._compositor.visible_widgets


async def test_review_brings_the_rationale_into_view_below_a_long_case(services) -> None:
    from certprep.banks.importer import import_bank
    from certprep.tui.app import make_app
    from certprep.tui.screens.review import ReviewScreen

    from .conftest import make_bank

    bank = make_bank(2, sections=("icd10cm",))
    for item in bank.items:
        item.stem = "A long operative note, line after line. " * 120
    import_bank(services.engine, bank, checksum="long")
    app = make_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        screen = ReviewScreen(services)
        await app.push_screen(screen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.current is not None
        await pilot.press("a")
        await pilot.pause(0.2)
        body, feedback = screen.query_one("#body"), screen.query_one("#feedback")
        assert body.scroll_y > 0
        assert feedback in screen._compositor.visible_widgets
        await pilot.press("3")  # the next long card starts at its top
        await pilot.pause(0.2)
        assert body.scroll_y == 0


def test_a_typed_mistake_is_not_pointed_at_a_file_called_input(tmp_path) -> None:
    """`certprep exam xyz` said "<input>: no blueprint 'xyz'…"."""
    out = runner.invoke(app, ["--db", str(tmp_path / "c.db"), "exam", "xyz"])
    assert out.exit_code == 2
    assert "no blueprint 'xyz'" in out.output and "<input>" not in out.output


def test_review_of_an_unknown_topic_is_refused_with_the_valid_ones(tmp_path, monkeypatch) -> None:
    """`certprep review --topic operativ` opened an empty session ("Done for now") while an
    unknown --section was refused: now both are, with what is valid."""
    from certprep.cli import study

    opened: list[object] = []
    monkeypatch.setattr(study, "run_tui", lambda *a, **k: opened.append(k))
    db = str(tmp_path / "c.db")
    assert runner.invoke(app, ["--db", db, "import", str(DATA / "sample_bank.yaml")]).exit_code == 0
    out = runner.invoke(app, ["--db", db, "review", "--exam", "cpc", "--topic", "nosuchtopic"])
    assert out.exit_code == 2, out.output
    assert "unknown topic 'nosuchtopic'" in out.output and "valid topics" in out.output
    assert not opened
