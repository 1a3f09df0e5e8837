"""The report from a database with reviews and attempts: CLI formats, golden files, screen."""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from certprep.cli import app
from certprep.services import Services
from certprep.services.report import build_report
from certprep.services.report_format import to_json, to_markdown
from certprep.store.engine import writing
from certprep.store.tables import CARD, EXAM_ANSWER, EXAM_ATTEMPT

from .conftest import DATA

pytestmark = pytest.mark.both_backends

GOLDEN = DATA / "golden"
runner = CliRunner()


def seed_history(services: Services, clock) -> None:
    lid = services.learner_id
    now = clock()
    bp = services.blueprint("cpc").model_dump(mode="json")
    with writing(services.engine) as conn:
        conn.execute(
            sa.insert(CARD),
            [
                {
                    "learner_id": lid,
                    "item_id": "sample-001",
                    "state": 2,
                    "stability": 10.0,
                    "difficulty": 5.0,
                    "due": now + timedelta(days=5),
                    "last_review": now - timedelta(days=5),
                    "reps": 3,
                },
                {
                    "learner_id": lid,
                    "item_id": "sample-002",
                    "state": 2,
                    "stability": 2.0,
                    "difficulty": 7.0,
                    "due": now - timedelta(days=2),
                    "last_review": now - timedelta(days=6),
                    "reps": 2,
                },
            ],
        )
        for n, (right_001, right_002) in enumerate([(True, False), (True, True)], 1):
            conn.execute(
                sa.insert(EXAM_ATTEMPT).values(
                    id=n,
                    learner_id=lid,
                    blueprint_key="cpc",
                    blueprint=bp,
                    title=f"CPC practice {n}",
                    seed=n,
                    mode="timed",
                    status="submitted",
                    started_at=now - timedelta(days=10 - n),
                    time_limit_s=14400,
                    time_used_s=600.0 * n,
                )
            )
            conn.execute(
                sa.insert(EXAM_ANSWER),
                [
                    {
                        "attempt_id": n,
                        "position": 0,
                        "item_id": "sample-001",
                        "section": "icd10cm",
                        "choice_order": ["a", "b", "c", "d"],
                        "response": ["a"],
                        "struck": [],
                        "correct": right_001,
                        "answered_at": now - timedelta(days=10 - n),
                    },
                    {
                        "attempt_id": n,
                        "position": 1,
                        "item_id": "sample-002",
                        "section": "icd10cm",
                        "choice_order": [],
                        "response": ["I10"],
                        "struck": [],
                        "correct": right_002,
                        "answered_at": now - timedelta(days=10 - n),
                    },
                    {
                        "attempt_id": n,
                        "position": 2,
                        "item_id": "sample-004",
                        "section": "compliance",
                        "choice_order": ["a", "b", "c", "d"],
                        "response": ["c"],
                        "struck": [],
                        "correct": False,
                        "answered_at": now - timedelta(days=10 - n),
                    },
                ],
            )


def _golden(name: str, text: str) -> None:
    """Compare with a golden file; ``UPDATE_GOLDEN=1`` rewrites it on purpose, nothing else does."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text)
    if not path.exists():
        pytest.fail(f"golden file {path} is missing: run UPDATE_GOLDEN=1 pytest {__file__}")
    assert text == path.read_text()


def test_report_figures_from_a_seeded_history(sample_services: Services, clock) -> None:
    seed_history(sample_services, clock)
    rep = build_report(sample_services, "cpc")
    icd = next(g for g in rep.sections if g.key == "icd10cm")
    assert (icd.answered, icd.right) == (4, 3) and icd.trend == [0.5, 1.0]
    assert icd.due == 1 and icd.overdue == 1 and icd.studied == 2
    comp = next(g for g in rep.sections if g.key == "compliance")
    assert comp.accuracy == 0.0 and comp.small_sample
    assert [a.score for a in rep.attempts] == [1 / 3, 2 / 3]
    assert rep.weak[0].section in {"compliance", "coding_guidelines", "icd10cm", "terminology"}


def test_golden_markdown_and_json(sample_services: Services, clock) -> None:
    seed_history(sample_services, clock)
    reps = [build_report(sample_services, "cpc")]
    _golden("report.md", to_markdown(reps, "tester"))
    _golden("report.json", to_json(reps, "tester"))
    data = json.loads(to_json(reps, "tester"))
    assert data["schema"] == "certprep-report/1"
    assert {"readiness", "sections", "weak_topics", "topics", "attempts", "assumptions"} <= set(
        data["exams"][0]
    )


def test_cli_writes_every_format(
    sample_services: Services, clock, db_path: Path, tmp_path: Path
) -> None:
    seed_history(sample_services, clock)
    for fmt in ("text", "md", "html", "json", "csv"):
        out = tmp_path / f"r.{fmt}"
        result = runner.invoke(
            app,
            [
                "--db",
                str(db_path),
                "--profile",
                "tester",
                "report",
                "--exam",
                "cpc",
                "--format",
                fmt,
                "-o",
                str(out),
            ],
        )
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 200
    page = (tmp_path / "r.html").read_text()
    assert "<script" not in page and "http://" not in page and "https://" not in page
    assert "CPC practice 2" in page
    bad = runner.invoke(app, ["--db", str(db_path), "report", "--format", "pdf"])
    assert bad.exit_code == 2 and "--format" in bad.output


async def test_report_screen_shows_readiness_and_drills_a_topic(
    sample_services: Services, clock
) -> None:
    from textual.widgets import DataTable, Static

    from certprep.tui.app import make_app
    from certprep.tui.screens.report import ReportScreen
    from certprep.tui.screens.review import ReviewScreen

    seed_history(sample_services, clock)
    app = make_app(sample_services)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("t")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ReportScreen)
        ready = str(app.screen.query_one("#readiness", Static).render())
        r = build_report(sample_services, "cpc").readiness
        assert f"Readiness (today): predicted {r.expected:.0%}" in ready
        assert f"chance of passing {r.pass_probability:.0%}" in ready
        assert 0.05 < r.pass_probability < 0.5  # two short mocks half right: unsure, not 0%
        weak = app.screen.query_one("#weak", DataTable)
        assert weak.row_count == 6
        assert "CPC practice 2" in str(app.screen.query_one("#history", Static).render())
        weak.move_cursor(row=1)  # hipaa
        await pilot.press("d")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)
        assert app.screen.filt.topic == "hipaa"
        assert "HIPAA" in str(app.screen.query_one("#question", Static).render())


def test_class_report_lists_every_student(sample_services: Services, clock, db_path: Path) -> None:
    from certprep.services import open_services

    seed_history(sample_services, clock)  # learner "tester" with two attempts
    assert open_services(str(db_path), "second-student").learner_id  # a classmate, nothing yet
    result = runner.invoke(
        app, ["--db", str(db_path), "report", "--class", "--exam", "cpc", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    students = {s["profile"]: s for s in data["students"]}
    assert set(students) == {"tester", "second-student"}
    assert (
        students["tester"]["attempts"] == 2 and abs(students["tester"]["last_score"] - 2 / 3) < 1e-9
    )
    assert students["tester"]["sections"]["icd10cm"] == 0.75
    assert (
        students["second-student"]["attempts"] == 0
        and students["second-student"]["last_score"] is None
    )
    # nothing studied for the exam: no forecast made of the prior alone, and the text says why
    assert students["tester"]["evidence"] and students["tester"]["readiness"] is not None
    assert not students["second-student"]["evidence"]
    assert students["second-student"]["readiness"] is None
    assert students["second-student"]["pass_probability"] is None
    assert students["second-student"]["weakest_topic"] is None
    text = runner.invoke(app, ["--db", str(db_path), "report", "--class", "--exam", "cpc"])
    assert "Nothing studied for this exam yet, so no forecast: second-student." in text.output
    row = next(ln for ln in text.output.splitlines() if ln.startswith("second-student"))
    assert row.split()[1:] == ["0", "0", "—", "—", "—", "—", "—"]
    md = runner.invoke(
        app, ["--db", str(db_path), "report", "--class", "--exam", "cpc", "--format", "md"]
    )
    assert "| tester |" in md.output and "Exam accuracy by section" in md.output


def test_a_slow_mock_is_said_with_the_readiness(tmp_path) -> None:
    """Readiness takes pace into account: at 3 minutes a question a CPC candidate reaches
    question 80 of 100, and the report says so in every format."""
    from certprep.banks.importer import import_bank
    from certprep.services import open_services
    from certprep.services.exams import ExamService
    from certprep.services.report import build_report
    from certprep.services.report_format import RENDERERS
    from tests.conftest import FakeClock, make_bank

    clock = FakeClock()
    services = open_services(str(tmp_path / "r.db"), "slow", clock=clock)
    bp = services.blueprint("cpc")
    import_bank(
        services.engine, make_bank(60, sections=tuple(s.key for s in bp.sections)), checksum="x"
    )
    exams = ExamService(services)
    aid = exams.start("cpc", seed=3, questions=20)  # 48 minutes
    for q in exams.load(aid).questions[:10]:
        clock.advance(minutes=3)
        exams.answer(aid, q.position, q.item.correct_keys)
        exams.goto(aid, q.position + 1)
    exams.submit(aid)
    rep = build_report(services, "cpc")
    assert rep.pacing is not None and rep.pacing.reaches == 80
    assert rep.pace_warning and "question 80 of 100" in rep.pace_warning
    for fmt in ("text", "md", "html"):
        assert "question 80 of 100" in RENDERERS[fmt]([rep], "slow")
    assert '"reaches": 80' in RENDERERS["json"]([rep], "slow")


def test_an_exam_with_no_evidence_says_so_instead_of_a_forecast(
    sample_services: Services, clock, db_path: Path
) -> None:
    """Nothing of the exam studied or sat: the forecast would be the population prior alone.
    The report says there is no evidence yet, not a predicted score as if it were measured."""

    def report(*fmt: str) -> str:
        args = ["--db", str(db_path), "--profile", "tester", "report", "--exam", "cpc", *fmt]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        return result.stdout

    text = report()
    line = next(x for x in text.splitlines() if x.startswith("Readiness"))
    assert "no evidence yet" in line
    assert "predicted" not in line and "chance of passing" not in line
    assert "%" not in line.split("pass mark")[0]  # no percentage before the pass mark
    assert "certprep review --exam cpc" in line
    assert "predicted 60%" not in text  # nor per section
    md = report("--format", "md")
    assert "no evidence yet" in md and "chance of passing" not in md
    assert json.loads(report("--format", "json"))["exams"][0]["readiness"]["evidence"] is False
    rows = list(csv.DictReader(io.StringIO(report("--format", "csv"))))
    assert rows and all(r["predicted_correctness"] == "" for r in rows)
    assert all(r["expected_points_lost"] == "" for r in rows)
    seed_history(sample_services, clock)  # cards studied and two mocks: a forecast
    text = report()
    assert "chance of passing" in text and "no evidence yet" not in text
    rows = list(csv.DictReader(io.StringIO(report("--format", "csv"))))
    assert all(0 <= float(r["predicted_correctness"]) <= 1 for r in rows)


async def test_the_report_screen_says_no_evidence_yet(sample_services: Services) -> None:
    from textual.widgets import DataTable, Static

    from certprep.tui.app import make_app
    from certprep.tui.screens.report import ReportScreen

    app = make_app(sample_services)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.workers.wait_for_complete()
        await app.push_screen(ReportScreen(sample_services, "cpc"))
        await app.workers.wait_for_complete()
        await pilot.pause()
        ready = str(app.screen.query_one("#readiness", Static).render())
        assert "no evidence yet" in ready
        assert "predicted" not in ready and "chance of passing" not in ready
        assert app.screen.query_one("#weak", DataTable).row_count == 0  # nothing is weak yet
        sections = app.screen.query_one("#sections", DataTable)
        assert all(str(sections.get_row_at(i)[-1]) == "—" for i in range(sections.row_count))
