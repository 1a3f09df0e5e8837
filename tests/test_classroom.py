"""A classroom on PostgreSQL: each student's login reaches their own rows only, whatever they type.

These run against the real server (`pytest --backend postgresql`, as CI does): the test role
needs CREATEDB and CREATEROLE. On the SQLite backend only the refusal of `classroom` is tested.
"""

from __future__ import annotations

import gc
import itertools
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from certprep.banks.importer import import_bank
from certprep.cli import app
from certprep.core.problems import InputError
from certprep.core.scheduling import Rating
from certprep.services import Services, open_services
from certprep.services.classroom import close
from certprep.services.exams import ExamService
from certprep.services.review import ReviewSession
from certprep.store.engine import make_engine, writing
from certprep.store.tables import (
    BANK,
    CARD,
    EXAM_ANSWER,
    EXAM_ATTEMPT,
    ITEM,
    LEARNER,
    REVIEW_LOG,
)
from tests.conftest import PgTestDatabase, make_bank
from tests.test_exam_service import SECTIONS, small_blueprint

pytestmark = pytest.mark.both_backends

runner = CliRunner()
_names = itertools.count()


@dataclass
class Classroom:
    owner_url: str
    a: str  # student names (= their logins and profiles)
    b: str
    a_url: str
    b_url: str
    owner: sa.Engine
    banks: Path
    engines: list[sa.Engine]

    def cli(self, url: str, *args: str) -> Any:
        from certprep.cli import state

        try:
            return runner.invoke(app, ["--db", url, *args])
        finally:
            if state._services is not None:  # no student's session outlives the test
                state._services.engine.dispose()
                state._services = None

    def services(self, url: str, profile: str = "default") -> Services:
        svc = open_services(url, profile, banks_dir=self.banks)
        self.engines.append(svc.engine)
        return svc

    def engine(self, url: str) -> sa.Engine:
        engine = make_engine(url)
        self.engines.append(engine)
        return engine


def _url_from(out: str) -> str:
    lines = [ln for ln in out.splitlines() if ln.startswith("postgresql://")]
    assert len(lines) == 1, out
    return lines[0]


@pytest.fixture
def classroom(
    db_path: Path, blueprints_only: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Classroom]:
    if not isinstance(db_path, PgTestDatabase):
        pytest.skip("a classroom is PostgreSQL logins and row security: --backend postgresql")
    monkeypatch.setenv("CERTPREP_BANKS_DIR", str(blueprints_only))
    url = str(db_path)
    owner = open_services(url, banks_dir=blueprints_only)
    import_bank(owner.engine, make_bank(12, sections=SECTIONS), checksum="gen")
    res = runner.invoke(app, ["--db", url, "classroom", "init"])
    assert res.exit_code == 0, res.output
    n = next(_names)
    a, b = f"certprep_test_{os.getpid()}_{n}_a", f"certprep_test_{os.getpid()}_{n}_b"
    urls = []
    for name in (a, b):
        res = runner.invoke(app, ["--db", url, "classroom", "add-student", name])
        assert res.exit_code == 0, res.output
        urls.append(_url_from(res.stdout))
    room = Classroom(url, a, b, urls[0], urls[1], owner.engine, blueprints_only, [])
    try:
        yield room
    finally:
        for engine in room.engines:
            engine.dispose()
        gc.collect()  # engines a refused open_services made: their connections close too
        close(owner.engine)
        owner.engine.dispose()


def _work(svc: Services) -> int:
    """A review answered and an exam submitted by this learner; returns the attempt id."""
    s = ReviewSession(svc)
    card = s.next_card()
    assert card is not None
    s.rate(card, Rating.GOOD)
    exams = ExamService(svc)
    aid = exams.start(small_blueprint(), seed=5)
    view = exams.load(aid)
    exams.answer(aid, 0, view.questions[0].item.correct_keys)
    exams.submit(aid)
    return aid


def _counts(engine: sa.Engine, lid: int) -> dict[str, int]:
    with engine.connect() as conn:
        one = lambda q: int(conn.execute(q).scalar_one())  # noqa: E731
        count = sa.func.count()
        return {
            "learner": one(sa.select(count).select_from(LEARNER).where(LEARNER.c.id == lid)),
            "card": one(sa.select(count).select_from(CARD).where(CARD.c.learner_id == lid)),
            "review_log": one(
                sa.select(count).select_from(REVIEW_LOG).where(REVIEW_LOG.c.learner_id == lid)
            ),
            "exam_attempt": one(
                sa.select(count).select_from(EXAM_ATTEMPT).where(EXAM_ATTEMPT.c.learner_id == lid)
            ),
            "exam_answer": one(
                sa.select(count)
                .select_from(EXAM_ANSWER.join(EXAM_ATTEMPT))
                .where(EXAM_ATTEMPT.c.learner_id == lid)
            ),
        }


def _learner_id(engine: sa.Engine, name: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(LEARNER.c.id).where(LEARNER.c.name == name)).scalar_one())


def test_a_students_own_review_and_exam_succeed(classroom: Classroom) -> None:
    a = classroom.services(classroom.a_url)
    assert a.profile == classroom.a  # the login is the profile
    _work(a)
    a_id = _learner_id(classroom.owner, classroom.a)
    seen = _counts(classroom.owner, a_id)
    assert seen["exam_attempt"] == 1 and seen["exam_answer"] == 5 and seen["card"] >= 1
    with classroom.owner.connect() as conn:
        sources = [
            r[0]
            for r in conn.execute(
                sa.select(REVIEW_LOG.c.source).where(REVIEW_LOG.c.learner_id == a_id)
            )
        ]
    assert sources.count("review") == 1
    res = classroom.cli(classroom.a_url, "stats", "--json")
    assert res.exit_code == 0, res.output
    assert f'"profile": "{classroom.a}"' in res.stdout and '"attempts": 1' in res.stdout


def test_by_sql_a_student_neither_reads_nor_writes_a_classmates_rows(classroom: Classroom) -> None:
    b_aid = _work(classroom.services(classroom.b_url))
    _work(classroom.services(classroom.a_url))
    b_id = _learner_id(classroom.owner, classroom.b)
    before = _counts(classroom.owner, b_id)
    assert all(before.values())
    student = classroom.engine(classroom.a_url)
    # reading: B's rows are not there for A, on every per-learner table
    assert _counts(student, b_id) == dict.fromkeys(before, 0)
    with student.connect() as conn:
        names = {r[0] for r in conn.execute(sa.select(LEARNER.c.name))}
    assert names == {classroom.a}
    # writing: updates and deletes of B's rows touch nothing ...
    with student.begin() as conn:
        changed = [
            conn.execute(sa.update(CARD).where(CARD.c.learner_id == b_id).values(reps=99)),
            conn.execute(
                sa.update(EXAM_ATTEMPT)
                .where(EXAM_ATTEMPT.c.id == b_aid)
                .values(result={"score": 1.0, "passed": True})
            ),
            conn.execute(
                sa.update(EXAM_ANSWER).where(EXAM_ANSWER.c.attempt_id == b_aid).values(correct=True)
            ),
            conn.execute(sa.update(LEARNER).where(LEARNER.c.id == b_id).values(settings={"x": 1})),
            conn.execute(sa.delete(REVIEW_LOG).where(REVIEW_LOG.c.learner_id == b_id)),
            conn.execute(sa.delete(EXAM_ATTEMPT).where(EXAM_ATTEMPT.c.learner_id == b_id)),
        ]
    assert [r.rowcount for r in changed] == [0] * len(changed)
    # ... and rows written in B's name, or A's row renamed to B, are refused
    a_id = _learner_id(student, classroom.a)
    bad = [
        sa.insert(CARD).values(learner_id=b_id, item_id="gen-00011", state=2),
        sa.insert(EXAM_ANSWER).values(
            attempt_id=b_aid,
            position=99,
            item_id="gen-00011",
            section="hcpcs",
            choice_order=[],
            response=[],
            struck=[],
        ),
        sa.update(EXAM_ATTEMPT).where(EXAM_ATTEMPT.c.learner_id == a_id).values(learner_id=b_id),
        sa.update(LEARNER).where(LEARNER.c.id == a_id).values(name=classroom.b + "x"),
        sa.insert(LEARNER).values(name="someone-else", created_at=sa.func.now(), settings={}),
    ]
    for stmt in bad:
        with (
            pytest.raises(sa.exc.DBAPIError, match="row-level security"),
            student.begin() as conn,
        ):
            conn.execute(stmt)
    assert _counts(classroom.owner, b_id) == before
    with classroom.owner.connect() as conn:
        result = conn.execute(
            sa.select(EXAM_ATTEMPT.c.result).where(EXAM_ATTEMPT.c.id == b_aid)
        ).scalar_one()
        assert result["score"] < 1.0
        assert (
            conn.execute(
                sa.select(sa.func.max(CARD.c.reps)).where(CARD.c.learner_id == b_id)
            ).scalar_one()
            < 99
        )


def test_by_sql_a_student_reads_banks_but_cannot_change_them(classroom: Classroom) -> None:
    student = classroom.engine(classroom.a_url)
    with student.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(ITEM)).scalar_one() == 12
    for stmt in [
        "DELETE FROM bank",
        "UPDATE item SET payload = '{}'",
        "UPDATE item SET retired = true",
        "DELETE FROM item_topic",
        "INSERT INTO bank (name, version, origin, checksum, header, imported_at)"
        " VALUES ('x', '1', 'import', 'x', '{}', now())",
        "TRUNCATE item CASCADE",
    ]:
        with (
            pytest.raises(sa.exc.ProgrammingError, match="permission denied"),
            student.begin() as conn,
        ):
            conn.exec_driver_sql(stmt)
    with classroom.owner.connect() as conn:
        assert (
            conn.execute(
                sa.select(sa.func.count()).select_from(ITEM).where(ITEM.c.retired.is_(False))
            ).scalar_one()
            == 12
        )


def test_through_certprep_profile_cannot_reach_a_classmate(classroom: Classroom) -> None:
    _work(classroom.services(classroom.b_url))
    b_id = _learner_id(classroom.owner, classroom.b)
    before = _counts(classroom.owner, b_id)
    res = classroom.cli(classroom.a_url, "--profile", classroom.b, "stats")
    assert res.exit_code == 2
    assert f"you are {classroom.a!r}" in res.output and "Traceback" not in res.output
    with pytest.raises(InputError, match="cannot choose another learner"):
        classroom.services(classroom.a_url, classroom.b)
    assert classroom.cli(classroom.a_url, "--profile", classroom.b, "report").exit_code == 2
    assert _counts(classroom.owner, b_id) == before


def test_through_certprep_a_student_cannot_change_banks(
    classroom: Classroom, tmp_path: Path
) -> None:
    res = classroom.cli(classroom.a_url, "banks", "remove", "gen", "--yes")
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "instructor" in res.output
    from certprep.banks.native import dump_bank

    other = make_bank(3, name="gen")  # same name, different answer key
    path = tmp_path / "gen.yaml"
    path.write_text(dump_bank(other))
    res = classroom.cli(classroom.a_url, "import", str(path), "--on-duplicate", "update")
    assert res.exit_code == 2 and "Traceback" not in res.output
    with classroom.owner.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(BANK)).scalar_one() == 1
        assert conn.execute(sa.select(sa.func.count()).select_from(ITEM)).scalar_one() == 12


def test_the_class_report_is_for_the_instructor_only(classroom: Classroom) -> None:
    _work(classroom.services(classroom.a_url))
    _work(classroom.services(classroom.b_url))
    res = classroom.cli(classroom.a_url, "report", "--class", "--exam", "cpc", "--format", "csv")
    assert res.exit_code == 2
    assert "for the instructor" in res.output and classroom.b not in res.output
    res = classroom.cli(
        classroom.owner_url, "report", "--class", "--exam", "cpc", "--format", "csv"
    )
    assert res.exit_code == 0, res.output
    assert classroom.a in res.stdout and classroom.b in res.stdout
    # an instructor's own login (not the owner) reads every student too, but changes no one
    name = f"certprep_test_{os.getpid()}_{next(_names)}_i"
    res = classroom.cli(classroom.owner_url, "classroom", "add-instructor", name)
    assert res.exit_code == 0, res.output
    inst = _url_from(res.stdout)
    res = classroom.cli(inst, "report", "--class", "--exam", "cpc", "--format", "csv")
    assert res.exit_code == 0, res.output
    assert classroom.a in res.stdout and classroom.b in res.stdout
    teacher = classroom.engine(inst)
    with teacher.begin() as conn:
        hit = conn.execute(sa.update(CARD).where(CARD.c.learner_id != -1).values(reps=99))
        assert hit.rowcount == 0  # reads everyone's cards, writes only its own


def test_the_class_report_names_a_student_who_never_signed_in(classroom: Classroom) -> None:
    """b was added but never opened certprep: the instructor still sees b, with no figures,
    rather than a class that seems to have one student."""
    _work(classroom.services(classroom.a_url))
    res = classroom.cli(classroom.owner_url, "report", "--class", "--exam", "cpc")
    assert res.exit_code == 0, res.output
    rows = {ln.split()[0]: ln.split() for ln in res.stdout.splitlines() if ln.strip()}
    assert rows[classroom.b][1:] == ["0", "0", "—", "—", "—", "—", "—"]
    assert f"Not signed in yet: {classroom.b}." in res.stdout
    assert rows[classroom.a][2] == "1"  # a's attempt
    res = classroom.cli(
        classroom.owner_url, "report", "--class", "--exam", "cpc", "--format", "json"
    )
    students = {s["profile"]: s for s in json.loads(res.stdout)["students"]}
    assert students[classroom.b]["started"] is False
    assert students[classroom.b]["readiness"] is None
    assert students[classroom.a]["started"] is True and students[classroom.a]["evidence"]


def test_list_and_remove_student(classroom: Classroom) -> None:
    _work(classroom.services(classroom.b_url))
    res = classroom.cli(classroom.owner_url, "classroom", "list")
    assert res.exit_code == 0
    lines = {ln.split()[0]: ln for ln in res.stdout.splitlines()}
    assert "not started" in lines[classroom.a] and "1 exams" in lines[classroom.b]
    # a student cannot manage the classroom
    res = classroom.cli(classroom.a_url, "classroom", "remove-student", classroom.b, "--yes")
    assert res.exit_code == 2 and "owner" in res.output
    # nor can the owner remove a login that is not the classroom's
    res = classroom.cli(classroom.owner_url, "classroom", "remove-student", "postgres", "--yes")
    assert res.exit_code == 2 and "not a login of this classroom" in res.output
    res = classroom.cli(classroom.owner_url, "classroom", "remove-student", classroom.b, "--yes")
    assert res.exit_code == 0, res.output
    with classroom.owner.connect() as conn:
        assert (
            conn.execute(sa.select(LEARNER.c.id).where(LEARNER.c.name == classroom.b)).first()
            is None
        )
    gone = classroom.engine(classroom.b_url)
    with pytest.raises(sa.exc.OperationalError), gone.connect():
        pass
    res = classroom.cli(classroom.owner_url, "classroom", "list")
    assert classroom.b not in res.stdout and classroom.a in res.stdout


def test_add_student_prints_a_working_pgpass_line(classroom: Classroom) -> None:
    name = f"certprep_test_{os.getpid()}_{next(_names)}_p"
    res = classroom.cli(classroom.owner_url, "classroom", "add-student", name, "--pgpass")
    assert res.exit_code == 0, res.output
    _host, _port, _db, user, password = res.stdout.strip().split(":")
    assert user == name and len(password) >= 20
    url = sa.make_url(classroom.owner_url).set(username=user, password=password)
    engine = classroom.engine(url.render_as_string(hide_password=False))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT current_user")).scalar_one() == name
    res = classroom.cli(classroom.owner_url, "classroom", "add-student", name)
    assert res.exit_code == 2 and "already exists" in res.output


def test_an_import_does_not_hold_up_a_students_answer(classroom: Classroom) -> None:
    """The import's transaction is open (its lock held) while a student answers and commits."""
    a = classroom.services(classroom.a_url)
    session = ReviewSession(a)
    card = session.next_card()
    assert card is not None
    importing = threading.Event()
    release = threading.Event()
    order: list[str] = []

    def long_import() -> None:
        with writing(classroom.owner, importing=True) as conn:
            conn.execute(sa.update(ITEM).values(retired=False))
            importing.set()
            release.wait(30)
            order.append("import committed")

    t = threading.Thread(target=long_import)
    t.start()
    assert importing.wait(10)
    try:
        session.rate(card, Rating.GOOD)  # would wait for the import's lock, and time out
        order.append("answer committed")
    finally:
        release.set()
        t.join(30)
    assert order == ["answer committed", "import committed"]


def test_imports_still_take_turns_with_each_other(classroom: Classroom) -> None:
    events: list[str] = []
    inside = threading.Event()

    def second() -> None:
        inside.wait(10)
        with writing(classroom.owner, importing=True):
            events.append("second in")

    t = threading.Thread(target=second)
    t.start()
    with writing(classroom.owner, importing=True):
        inside.set()
        t.join(0.5)
        events.append("first out")
    t.join(15)
    assert events == ["first out", "second in"]


def test_classroom_on_sqlite_is_refused_with_a_message(db_path: Path) -> None:
    if isinstance(db_path, PgTestDatabase):
        pytest.skip("about a SQLite file")
    res = runner.invoke(app, ["--db", str(db_path), "classroom", "init"])
    assert res.exit_code == 2
    assert "PostgreSQL" in res.output and "Traceback" not in res.output


def test_init_loads_the_shipped_banks_for_the_students(
    classroom: Classroom, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Students may not write banks, so the instructor's `init` loads the shipped ones."""
    import shutil

    from tests.conftest import DATA

    shipped = tmp_path / "shipped"
    shutil.copytree(classroom.banks, shipped)
    shutil.copy(DATA / "sample_bank.yaml", shipped / "sample_bank.yaml")
    monkeypatch.setenv("CERTPREP_BANKS_DIR", str(shipped))
    res = classroom.cli(classroom.owner_url, "classroom", "init")
    assert res.exit_code == 0, res.output
    res = classroom.cli(classroom.a_url, "banks", "list")
    assert res.exit_code == 0, res.output
    assert "sample" in res.stdout and "gen" in res.stdout


def test_an_instructor_login_manages_banks(classroom: Classroom, tmp_path: Path) -> None:
    """Not only the owner: an instructor's login imports, retires and removes banks. A bank
    whose questions are in a student's exam attempt is not removed (the attempt would lose what
    was asked); it is retired instead."""
    from certprep.banks.native import dump_bank

    _work(classroom.services(classroom.a_url))
    name = f"certprep_test_{os.getpid()}_{next(_names)}_m"
    res = classroom.cli(classroom.owner_url, "classroom", "add-instructor", name)
    assert res.exit_code == 0, res.output
    inst = _url_from(res.stdout)
    path = tmp_path / "extra.yaml"
    path.write_text(dump_bank(make_bank(5, name="extra")))
    res = classroom.cli(inst, "import", str(path))
    assert res.exit_code == 0, res.output
    res = classroom.cli(inst, "banks", "remove", "gen", "--yes")
    assert res.exit_code == 2 and "banks retire gen" in res.output
    res = classroom.cli(inst, "banks", "retire", "gen")
    assert res.exit_code == 0, res.output
    res = classroom.cli(inst, "banks", "remove", "extra", "--yes")
    assert res.exit_code == 0, res.output
    with classroom.owner.connect() as conn:
        banks = {r[0] for r in conn.execute(sa.select(BANK.c.name))}
        live = conn.execute(
            sa.select(sa.func.count())
            .select_from(ITEM.join(BANK, BANK.c.id == ITEM.c.bank_id))
            .where(BANK.c.name == "gen", ITEM.c.retired.is_(False))
        ).scalar_one()
    assert banks == {"gen"} and live == 0


def test_a_certprep_without_manners_still_cannot_reach_a_classmate(classroom: Classroom) -> None:
    """The walls are the database's: a student's certprep that believed it were B (its learner id
    set to B's) finds none of B's exams and can write nothing in B's name."""
    b_aid = _work(classroom.services(classroom.b_url))
    b_id = _learner_id(classroom.owner, classroom.b)
    before = _counts(classroom.owner, b_id)
    rogue = classroom.services(classroom.a_url)
    _ = rogue.learner_id  # A's row exists ...
    rogue._learner_id = b_id  # ... and the client now claims to be B
    exams = ExamService(rogue)
    with pytest.raises(InputError, match="no exam attempt"):
        exams.load(b_aid)
    with pytest.raises(InputError, match="no exam attempt"):
        exams.submit(b_aid)
    session = ReviewSession(rogue)
    card = session.next_card()
    assert card is not None
    with pytest.raises(sa.exc.DBAPIError, match="row-level security"):
        session.rate(card, Rating.AGAIN)
    assert _counts(classroom.owner, b_id) == before
