"""Exam attempts: every change committed, resume, honest time, pause, submit, misses to review."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from certprep.banks.importer import import_bank
from certprep.cli.exam_options import start_from_cli
from certprep.core.assembly import AssemblyError, ShortPoolError
from certprep.core.models import Blueprint
from certprep.core.problems import InputError
from certprep.core.scheduling import LEARNING, RELEARNING, Rating
from certprep.services import Services, open_services
from certprep.services.exams import (
    ExamClosed,
    ExamModeError,
    ExamService,
)
from certprep.services.review import ReviewSession
from certprep.store.tables import CARD, EXAM_ANSWER, REVIEW_LOG
from tests.conftest import FakeClock, make_bank
from tests.exams import SECTIONS, small_blueprint

pytestmark = pytest.mark.both_backends


def reopen(db_path: Path, clock: FakeClock, banks: Path) -> ExamService:
    """A fresh process's view of the same database."""
    return ExamService(open_services(str(db_path), "tester", clock=clock, banks_dir=banks))


def test_start_writes_the_whole_form(exam_services: Services) -> None:
    exams = ExamService(exam_services)
    aid = exams.start(small_blueprint(10), seed=7)
    view = exams.load(aid)
    assert len(view.questions) == 5 and view.mode == "timed" and view.status == "in_progress"
    assert [q.section for q in view.questions].count("icd10cm") == 3
    assert view.time_limit_s == 600 and view.remaining_s == 600
    for q in view.questions:
        assert sorted(q.choice_order) == ["a", "b", "c", "d"]
    # items shown in the first attempt are the most recently seen: the next form avoids them
    again = exams.load(exams.start(small_blueprint(10), seed=7))
    assert not {q.item.id for q in again.questions} & {q.item.id for q in view.questions}
    assert exams.in_progress() == again.id
    assert [h.id for h in exams.history()] == [again.id, aid]


def test_changes_are_committed_and_resume_keeps_them(
    exam_services: Services, db_path: Path, clock: FakeClock, blueprints_only: Path
) -> None:
    exams = ExamService(exam_services)
    aid = exams.start(small_blueprint(10), seed=1)
    view = exams.load(aid)
    q0, q1 = view.questions[0], view.questions[1]
    wrong = next(c.key for c in q1.item.choices if not c.correct)
    assert exams.answer(aid, 0, q0.item.correct_keys) is True
    assert exams.answer(aid, 1, [wrong]) is False
    exams.strike(aid, 1, q1.choice_order[0])
    assert exams.flag(aid, 1) is True
    exams.goto(aid, 3)
    # another process (the resumed one) sees every change
    resumed = reopen(db_path, clock, blueprints_only).load(aid)
    assert resumed.position == 3
    assert resumed.questions[0].response == q0.item.correct_keys
    assert resumed.questions[1].response == [wrong]
    assert resumed.questions[1].struck == [q1.choice_order[0]]
    assert resumed.questions[1].flagged and not resumed.questions[0].flagged
    assert resumed.answered == 2 and resumed.flagged == 1
    exams.strike(aid, 1, q1.choice_order[0])  # strike again: back in
    assert exams.load(aid).questions[1].struck == []
    exams.answer(aid, 0, [])  # clearing an answer
    assert not exams.load(aid).questions[0].answered
    with pytest.raises(InputError):
        exams.answer(aid, 0, ["z"])


def test_time_accounting_with_a_long_absence(exam_services: Services, clock: FakeClock) -> None:
    exams = ExamService(exam_services)
    aid = exams.start(small_blueprint(minutes=10), seed=2)
    clock.advance(seconds=30)
    assert exams.tick(aid) == 570
    clock.advance(seconds=20)
    exams.goto(aid, 1)  # the 20 s go to question 1
    clock.advance(seconds=5)
    view = exams.load(aid)
    assert view.time_used_s == 55 and view.remaining_s == 545
    assert [q.time_spent_s for q in view.questions[:2]] == [50, 0]
    # the process dies here; the learner comes back two hours later: the clock ran on
    clock.advance(hours=2)
    assert exams.remaining(aid) == 0
    with pytest.raises(ExamClosed, match="time is up"):
        exams.answer(aid, 1, ["a"])
    view = exams.load(aid)
    assert view.time_used_s == 600 and view.questions[1].response == []
    result = exams.submit(aid)
    assert result.score.time_used_s == 600 and result.score.unanswered == 5


def test_pause_only_untimed_and_a_paused_absence_is_free(
    exam_services: Services, clock: FakeClock
) -> None:
    exams = ExamService(exam_services)
    timed = exams.start(small_blueprint(10), seed=3)
    with pytest.raises(ExamModeError):
        exams.pause(timed)
    aid = exams.start(small_blueprint(10), seed=3, mode="untimed")
    view = exams.load(aid)
    assert view.time_limit_s is None and view.remaining_s is None
    clock.advance(seconds=40)
    exams.pause(aid)
    clock.advance(days=1)
    assert exams.load(aid).time_used_s == 40  # paused: the day away is free
    exams.unpause(aid)
    clock.advance(seconds=10)
    exams.tick(aid)
    assert exams.load(aid).time_used_s == 50
    clock.advance(hours=1)  # not paused: a crash and an hour away counts
    assert exams.load(aid).time_used_s == 3650


def test_submit_scores_and_stores_the_result(exam_services: Services) -> None:
    exams = ExamService(exam_services)
    aid = exams.start(small_blueprint(10), seed=4)
    view = exams.load(aid)
    for q in view.questions[:3]:
        exams.answer(aid, q.position, q.item.correct_keys)
    q = view.questions[3]
    exams.answer(aid, 3, [next(c.key for c in q.item.choices if not c.correct)])
    result = exams.submit(aid)
    s = result.score
    assert (s.right, s.total, s.answered, s.unanswered) == (3, 5, 4, 1)
    assert s.passed and s.fraction == 0.6  # pass mark 0.6
    assert {x.key: x.total for x in s.sections} == {"icd10cm": 3, "hcpcs": 2}
    assert s.pass_line is None
    done = exams.load(aid)
    assert done.status == "submitted" and done.result == s
    assert [x.correct for x in done.questions] == [True, True, True, False, None]
    assert exams.submit(aid).score == s  # twice: the same stored result
    with pytest.raises(ExamClosed):
        exams.flag(aid, 0)
    line = exams.history()[0]
    assert line.status == "submitted" and line.score == 0.6 and line.passed
    assert exams.in_progress() is None


def test_ccs_result_has_an_honest_pass_line(exam_services: Services) -> None:
    bp = small_blueprint(pass_note="scaled score; our stand-in")
    exams = ExamService(exam_services)
    aid = exams.start(bp, seed=5)
    s = exams.submit(aid).score
    assert s.pass_line is not None and "not a scaled score" in s.pass_line.statement
    assert "scaled" not in str(set(s.to_dict()) - {"pass_line"})


def _logs(services: Services) -> list[tuple[str, int, str]]:
    with services.engine.connect() as conn:
        return [
            (r.item_id, r.rating, r.source)
            for r in conn.execute(sa.select(REVIEW_LOG).order_by(REVIEW_LOG.c.id))
        ]


def test_misses_go_to_review(exam_services: Services, clock: FakeClock) -> None:
    exams = ExamService(exam_services)
    aid = exams.start(small_blueprint(10), seed=6, mode="untimed")
    view = exams.load(aid)
    seen_q, unseen_q, right_q = view.questions[0], view.questions[1], view.questions[2]
    # the learner studied the first item in review earlier (Good twice: a review card)
    session = ReviewSession(exam_services)
    card = session.load_card(seen_q.item.id)
    session.rate(card, Rating.GOOD)
    clock.advance(minutes=15)
    session.rate(session.load_card(seen_q.item.id), Rating.GOOD)
    clock.advance(days=1)
    before = len(_logs(exam_services))
    for q in (seen_q, unseen_q):
        exams.answer(aid, q.position, [next(c.key for c in q.item.choices if not c.correct)])
    exams.answer(aid, right_q.position, right_q.item.correct_keys)
    exams.tick(aid)
    result = ExamService(exam_services).submit(aid)
    assert result.sent_to_review == 2
    assert _logs(exam_services)[before:] == [
        (seen_q.item.id, 1, "exam"),
        (unseen_q.item.id, 1, "exam"),
    ]
    now = clock()
    with exam_services.engine.connect() as conn:
        cards = {r.item_id: r for r in conn.execute(sa.select(CARD).where(CARD.c.learner_id > 0))}
    assert cards[seen_q.item.id].state == RELEARNING and cards[seen_q.item.id].lapses == 1
    assert cards[seen_q.item.id].due <= now + timedelta(minutes=10)
    new = cards[unseen_q.item.id]
    # a miss on an item never studied is a failed first recall: learning, not a new card
    assert new.state == LEARNING and new.due <= now + timedelta(minutes=1)
    assert right_q.item.id not in cards  # right on an unseen item: it stays new
    # daily review offers both now, in the learning queue, whatever the new-card limit
    exam_services.update_settings(new_per_day=0)
    session = ReviewSession(exam_services)
    assert session.counts().learning == 2 and session.counts().new == 0
    assert session.next_learning_due() == new.due


def test_misses_to_review_can_be_switched_off(exam_services: Services) -> None:
    exam_services.update_settings(exam_misses_to_review=False)
    exams = ExamService(exam_services)
    aid = exams.start(small_blueprint(10), seed=8)
    q = exams.load(aid).questions[0]
    exams.answer(aid, 0, [next(c.key for c in q.item.choices if not c.correct)])
    assert exams.submit(aid).sent_to_review == 0
    assert _logs(exam_services) == []


def test_start_from_cli_messages(exam_services: Services) -> None:
    with pytest.raises(InputError, match="no blueprint 'xyz'"):
        start_from_cli(exam_services, "xyz", None, "timed", None, None)
    with pytest.raises(InputError, match="has no section nope"):
        start_from_cli(exam_services, "cpc", None, "timed", "icd10cm,nope", None)
    with pytest.raises(InputError) as err:
        start_from_cli(exam_services, "cpc", None, "timed", None, None)
    text = str(err.value)
    assert "icd10cm: needs 10, has 6 (4 short)" in text
    assert "surgery_10000: needs 6, has 0 (6 short)" in text
    with pytest.raises(InputError) as err:
        start_from_cli(exam_services, "cpc", 1, "timed", "icd10cm,hcpcs", None)
    assert "try --questions 9" in str(err.value)
    aid = start_from_cli(exam_services, "cpc", 1, "tutor", "icd10cm,hcpcs", 9)
    view = ExamService(exam_services).load(aid)
    assert view.mode == "tutor" and len(view.questions) == 9 and view.remaining_s is None
    with exam_services.engine.connect() as conn:
        n = conn.execute(
            sa.select(sa.func.count()).where(EXAM_ANSWER.c.attempt_id == aid)
        ).scalar_one()
    assert n == 9


CRASH_SCRIPT = r"""
import asyncio, sys, time
from pathlib import Path
from certprep.services import open_services
from certprep.services.exams import ExamService
from certprep.tui.app import make_app
from certprep.tui.screens.exam import ExamScreen

db, banks, attempt_id = sys.argv[1], sys.argv[2], int(sys.argv[3])
services = open_services(db, "tester", banks_dir=Path(banks))

async def main():
    app = make_app(services)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.workers.wait_for_complete()
        screen = ExamScreen(services, attempt_id)
        await app.push_screen(screen)
        await pilot.pause()
        for n in range(100):
            q = screen.question
            letter = "abcd"[n % 4]
            await pilot.press(letter)
            if n % 2:
                await pilot.press("f")
            await pilot.press("n")
            await pilot.pause()
            key = (q.choice_order or ["a", "b", "c", "d"])["abcd".index(letter)]
            print(f"answered {q.position} {key} {int(bool(n % 2))}", flush=True)
            time.sleep(0.15)

asyncio.run(main())
"""


def test_killed_mid_exam_resumes_with_every_answer(
    db_path: Path, blueprints_only: Path, tmp_path: Path
) -> None:
    import os
    import signal
    import subprocess
    import sys

    from tests.conftest import REPO

    services = open_services(str(db_path), "tester", banks_dir=blueprints_only)
    import_bank(services.engine, make_bank(30, sections=SECTIONS), checksum="gen")
    bp = Blueprint.model_validate(
        {
            **small_blueprint(minutes=60).model_dump(),
            "questions": 20,
            "sections": [
                {"key": "icd10cm", "title": "ICD-10-CM", "questions": 12},
                {"key": "hcpcs", "title": "HCPCS Level II", "questions": 8},
            ],
        }
    )
    exams = ExamService(services)
    aid = exams.start(bp, seed=21)
    script = tmp_path / "sit.py"
    script.write_text(CRASH_SCRIPT, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, str(script), str(db_path), str(blueprints_only), str(aid)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    committed: list[tuple[int, str, bool]] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            _, pos, key, flagged = line.split()
            committed.append((int(pos), key, flagged == "1"))
            if len(committed) == 4:
                proc.send_signal(signal.SIGKILL)
                break
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert len(committed) == 4, proc.stderr.read() if proc.stderr else ""
    assert proc.returncode == -signal.SIGKILL
    # the learner runs `certprep exam resume` a moment later
    resumed = ExamService(open_services(str(db_path), "tester", banks_dir=blueprints_only))
    view = resumed.load(aid)
    assert view.status == "in_progress"
    for pos, key, flagged in committed:
        assert view.questions[pos].response == [key]
        assert view.questions[pos].flagged is flagged
    assert view.position >= 4  # the screen had moved on to the next question
    # the clock is honest: everything since the start is spent, the time away included
    elapsed = (services.clock() - view.started_at).total_seconds()
    assert view.remaining_s is not None
    assert abs(view.remaining_s - (3600 - elapsed)) < 1.0
    assert view.remaining_s < 3600 - 0.5


def test_pinned_and_true_false_choices_keep_their_order(services: Services) -> None:
    from certprep.core.models import Bank

    def item(i: int, **kw: object) -> dict[str, object]:
        return {
            "id": f"p{i}",
            "section": "icd10cm",
            "stem": f"Question {i}?",
            "rationale": "Because.",
            "references": ["ref"],
            **kw,
        }

    choices = [
        {"key": k, "text": t, "correct": k == "d"}
        for k, t in zip("abcd", ["One", "Two", "Three", "All of the above"], strict=True)
    ]
    tf = [{"key": "a", "text": "True", "correct": True}, {"key": "b", "text": "False"}]
    bank = Bank.model_validate(
        {
            "name": "pins",
            "exams": ["cpc"],
            "items": [
                *[item(i, choices=choices, pin_choices=True) for i in range(3)],
                *[item(i, kind="true_false", choices=tf) for i in range(3, 6)],
            ],
        }
    )
    import_bank(services.engine, bank, checksum="pins")
    bp = Blueprint.model_validate(
        {
            "key": "cpc",
            "name": "pins",
            "questions": 4,
            "time_limit_minutes": 5,
            "pass_mark": 0.5,
            "item_kinds": ["single", "true_false"],
            "sections": [{"key": "icd10cm", "title": "ICD", "questions": 4}],
        }
    )
    exams = ExamService(services)
    first = exams.load(exams.start(bp, seed=99))
    for q in first.questions:
        assert q.choice_order == [c.key for c in q.item.choices]
    # unseen only: two items are left that the first form did not show
    with pytest.raises(ShortPoolError) as err:
        exams.start(bp, seed=1, unseen_only=True)
    assert err.value.shortfalls[0].available == 2 and err.value.unseen_only
    second = exams.load(exams.start(bp, seed=1, unseen_only=True, questions=2))
    assert not {q.item.id for q in second.questions} & {q.item.id for q in first.questions}


def test_a_bank_in_use_by_an_attempt_is_not_removed_but_can_be_retired(
    exam_services: Services,
) -> None:
    """Removing a bank used to cascade its answer rows away: the open exam then showed the
    wrong question and past attempts were rescored. Now removal is refused; retire keeps all."""
    from certprep.banks.importer import remove_bank, retire_bank

    exams = ExamService(exam_services)
    aid = exams.start(small_blueprint(10), seed=5)
    view = exams.load(aid)
    exams.answer(aid, 0, [view.questions[0].item.correct_keys[0]])
    bank = exam_services.banks()[0]["name"]
    with pytest.raises(InputError, match="1 exam attempt"):
        remove_bank(exam_services.engine, bank)
    after = exams.load(aid)
    assert [q.item.id for q in after.questions] == [q.item.id for q in view.questions]
    assert retire_bank(exam_services.engine, bank) > 0
    again = exams.load(aid)
    assert [q.item.id for q in again.questions] == [q.item.id for q in view.questions]
    assert exams.submit(aid).score.right == 1  # the attempt scores as it was answered
    with pytest.raises(AssemblyError):  # retired items are out of new exams
        exams.start(small_blueprint(10), seed=6)


def test_generated_drills_stay_out_of_mock_forms_unless_asked(services: Services) -> None:
    """After `banks build-codesets` a CCS mock was 49 of 50 generated drills; drills belong to
    review and topic drills, and enter a form only when the learner asks."""
    authored = make_bank(8, name="authored", sections=SECTIONS)
    drills = make_bank(40, name="drills", sections=SECTIONS)
    drills = drills.model_copy(update={"drills": True})
    drills.items = [i.model_copy(update={"id": f"drill-{i.id}"}) for i in drills.items]
    import_bank(services.engine, authored, checksum="a")
    import_bank(services.engine, drills, checksum="d")
    exams = ExamService(services)
    for seed in range(5):
        form = exams.draw(small_blueprint(10), seed=seed)
        assert not [q.item_id for q in form.questions if q.item_id.startswith("drill-")]
    asked = [
        q.item_id
        for seed in range(5)
        for q in exams.draw(small_blueprint(10), seed=seed, include_drills=True).questions
    ]
    assert any(i.startswith("drill-") for i in asked)
    assert services.stats()["items"] == 48  # kept for review and drills
