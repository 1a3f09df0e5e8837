"""`report --class` from a few set queries: the same figures as each learner's own report, and
the same number of queries for 2 learners as for 8 (it was one report, and many queries, each)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from certprep.banks.importer import import_bank
from certprep.core.models import Bank
from certprep.core.scheduling import Rating
from certprep.services import Services, open_services
from certprep.services.class_report import class_report
from certprep.services.exams import ExamService
from certprep.services.report import build_report
from certprep.services.review import ReviewSession
from tests.conftest import FakeClock, make_bank
from tests.test_exam_service import SECTIONS, small_blueprint

pytestmark = pytest.mark.both_backends


def _learner(db_path: Path, name: str, clock: FakeClock, banks: Path) -> Services:
    return open_services(str(db_path), name, clock=clock, banks_dir=banks)


def _study(svc: Services, k: int, clock: FakeClock) -> None:
    """A different amount of review and exams for learner number k."""
    if k % 3 == 1:
        svc.update_settings(exam_dates={"cpc": "2026-12-20"})
    s = ReviewSession(svc)
    for n in range(k % 4 + 1):
        card = s.next_card()
        if card is None:
            break
        s.rate(card, Rating.AGAIN if n % 2 else Rating.GOOD)
    exams = ExamService(svc)
    for attempt in range(k % 3):
        aid = exams.start(small_blueprint(), seed=k * 10 + attempt)
        view = exams.load(aid)
        for pos, q in enumerate(view.questions):
            if (pos + k) % 3:
                exams.answer(aid, pos, q.item.correct_keys)
            else:
                wrong = next(c.key for c in q.item.choices if not c.correct)
                exams.answer(aid, pos, [wrong])
        exams.submit(aid)
    if k % 4 == 3:
        exams.start(small_blueprint(), seed=99)  # in progress: not counted


def _class(db_path: Path, clock: FakeClock, banks: Path, n: int) -> tuple[Services, list[Services]]:
    learners = [_learner(db_path, f"student-{k:02d}", clock, banks) for k in range(n)]
    for k, svc in enumerate(learners):
        _study(svc, k, clock)
        clock.advance(hours=3)
    return _learner(db_path, "teacher", clock, banks), learners


def test_the_class_report_agrees_with_every_learners_own_report(
    db_path: Path, clock: FakeClock, blueprints_only: Path
) -> None:
    teacher = _learner(db_path, "teacher", clock, blueprints_only)
    import_bank(teacher.engine, make_bank(40, sections=SECTIONS), checksum="gen")
    untagged = make_bank(9, name="untagged", sections=SECTIONS).model_dump(
        mode="json", exclude_none=True
    )
    for item in untagged["items"]:
        item["topics"] = []
    import_bank(teacher.engine, Bank.model_validate(untagged), checksum="untagged")
    teacher, learners = _class(db_path, clock, blueprints_only, 7)
    idle = _learner(db_path, "student-idle", clock, blueprints_only)  # signed in, nothing done
    assert idle.learner_id
    learners.append(idle)
    clock.advance(days=2)
    report = class_report(teacher, "cpc")
    lines = {s.profile: s for s in report.students}
    assert set(lines) >= {s.profile for s in learners}
    assert len({round(s.readiness or 0, 6) for s in lines.values()}) > 2  # the learners differ
    for svc in learners:
        own = build_report(svc, "cpc")
        line = lines[svc.profile]
        scores = [a.score for a in own.attempts if a.score is not None]
        assert line.attempts == len(own.attempts)
        assert line.last_score == (scores[-1] if scores else None)
        assert line.best_score == (max(scores) if scores else None)
        assert line.evidence == own.has_evidence
        if not own.has_evidence:  # the one who did nothing: no figure either side
            assert svc.profile == "student-idle"
            assert (line.readiness, line.pass_probability, line.weakest) == (None, None, None)
            continue
        assert line.readiness == pytest.approx(own.readiness.expected)
        assert line.pass_probability == pytest.approx(own.readiness.pass_probability)
        assert line.sections == {g.key: g.accuracy for g in own.sections}
        assert line.weakest == (own.weak[0].key if own.weak else None)
        assert line.reviews == svc.stats()["reviews"]


def test_the_class_report_takes_as_many_queries_for_8_learners_as_for_2(
    db_path: Path, clock: FakeClock, blueprints_only: Path
) -> None:
    first = _learner(db_path, "teacher", clock, blueprints_only)
    import_bank(first.engine, make_bank(40, sections=SECTIONS), checksum="gen")
    counts = []
    for more in (2, 6):
        for k in range(more):
            svc = _learner(db_path, f"s{len(counts)}-{k}", clock, blueprints_only)
            _study(svc, k + 1, clock)
        teacher = _learner(db_path, "teacher", clock, blueprints_only)
        statements: list[str] = []

        def seen(conn, cursor, statement, *args, _s=statements):  # type: ignore[no-untyped-def]
            _s.append(statement)

        sa.event.listen(teacher.engine, "before_cursor_execute", seen)
        report = class_report(teacher, "cpc")
        sa.event.remove(teacher.engine, "before_cursor_execute", seen)
        counts.append((len(report.students), len(statements)))
    (n_small, q_small), (n_big, q_big) = counts
    assert n_big >= n_small + 6
    assert q_big == q_small <= 10
