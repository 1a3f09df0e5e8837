"""The report screen: readiness, weak topics (drill), sections and the score chart."""

from __future__ import annotations

from textual.widgets import Static

from certprep.banks.importer import import_bank
from certprep.services import Services
from certprep.services.exams import ExamService
from certprep.tui.app import make_app
from certprep.tui.screens.report import ReportScreen
from certprep.tui.widgets.charts import Chart
from tests.conftest import make_bank
from tests.exams import SECTIONS, small_blueprint


async def _report(app, pilot, services: Services) -> ReportScreen:
    await app.workers.wait_for_complete()
    await app.push_screen(ReportScreen(services, "cpc"))
    await app.workers.wait_for_complete()
    await pilot.pause()
    assert isinstance(app.screen, ReportScreen)
    return app.screen


async def test_no_attempts_no_chart_and_a_sentence(services: Services) -> None:
    import_bank(services.engine, make_bank(12, sections=SECTIONS), checksum="gen")
    app = make_app(services)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _report(app, pilot, services)
        assert not screen.query_one("#trend", Chart).display  # no bars of nothing
        history = str(screen.query_one("#history", Static).render())
        assert "No submitted attempts yet" in history


async def test_scores_are_plotted_against_the_pass_mark(services: Services) -> None:
    import_bank(services.engine, make_bank(12, sections=SECTIONS), checksum="gen")
    exams = ExamService(services)
    for seed, right in ((1, 1), (2, 4)):
        aid = exams.start(small_blueprint(), seed=seed)
        for q in exams.load(aid).questions[:right]:
            exams.answer(aid, q.position, q.item.correct_keys)
        exams.submit(aid)
    app = make_app(services)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _report(app, pilot, services)
        trend = screen.query_one("#trend", Chart)
        assert trend.display
        drawn = str(trend.render())
        assert "Score per attempt" in drawn and "pass" in drawn
        sections = screen.query_one("#sections-chart", Chart)
        assert sections.display and "exam accuracy" in str(sections.render())


async def test_pacing_per_section_is_charted_against_the_budget(services: Services, clock) -> None:
    import_bank(services.engine, make_bank(12, sections=SECTIONS), checksum="gen")
    exams = ExamService(services)
    aid = exams.start(small_blueprint(minutes=40), seed=3)  # 8 minutes a question
    for q in exams.load(aid).questions:
        clock.advance(minutes=2)
        exams.answer(aid, q.position, q.item.correct_keys)
        if q.position < 4:
            exams.goto(aid, q.position + 1)
    exams.submit(aid)
    app = make_app(services)
    async with app.run_test(size=(120, 50)) as pilot:
        screen = await _report(app, pilot, services)
        chart = screen.query_one("#pacing-chart", Chart)
        assert chart.display and "Pacing per section" in str(chart.render())
