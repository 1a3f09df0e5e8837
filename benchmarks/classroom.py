"""A classroom on PostgreSQL under load: students' answers during a big import, and the class
report over many learners. Measured here, never asserted in tests.

    python benchmarks/classroom.py --pg-url postgresql+psycopg://ADMIN:PW@localhost/postgres \
        [--items 100000] [--students 12] [--learners 500] [--compare] [--json]

ADMIN needs CREATEDB and CREATEROLE. A database ``cls_bench_<pid>`` is made for the run (the
classroom set up as the README says: `classroom init`, one login per student) and dropped after.

1. Students (processes, each on their own login) review cards with a short pause between answers
   while the instructor imports an N-item bank in another process (`certprep import`). The
   figure is each answer's time (rate the card, fetch the next) while the import runs: p50, p95,
   max, and failed answers. ``--compare`` runs the same import once more with the old behaviour
   (the import takes the learners' writer lock) for contrast.
2. L learners with history (cards, reviews, two submitted CPC exams each) are written in bulk,
   then `report --class` for CPC is built as an instructor's login: seconds.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import pct, synthetic_bank  # noqa: E402

TARGETS = {"answer_ms_p95_during_import": ("<=", 200.0), "class_report_s": ("<=", 10.0)}

# the old behaviour, for --compare: the import queues on the learners' writer lock
OLD_LOCK = (
    "import sys, certprep.store.engine as e; e.PG_IMPORT_LOCK = e.PG_WRITER_LOCK; "
    "from certprep.cli import main; sys.argv = ['certprep', *sys.argv[1:]]; main()"
)
NEW_LOCK = (
    "import sys; from certprep.cli import main; sys.argv = ['certprep', *sys.argv[1:]]; main()"
)


def cli(*args: str) -> str:
    from typer.testing import CliRunner

    from certprep.cli import app, state

    res = CliRunner().invoke(app, list(args))
    if state._services is not None:
        state._services.engine.dispose()
        state._services = None
    if res.exit_code != 0:
        raise SystemExit(f"certprep {' '.join(args[2:])} failed: {res.output}")
    return res.stdout


def student_loop(url: str, stop: Any, path: str) -> None:
    """One student (its own process): answer cards until told to stop, then write
    (start time, milliseconds, error or '') per answer to ``path``."""
    from certprep.core.scheduling import Rating
    from certprep.services import open_services
    from certprep.services.review import ReviewSession

    out: list[tuple[float, float, str]] = []
    svc = open_services(url)
    svc.update_settings(new_per_day=100_000, reviews_per_day=100_000)
    session = ReviewSession(svc)
    card = session.next_card()
    rng = random.Random(url)
    Path(path + ".ready").touch()
    while not stop.is_set() and card is not None:
        t0 = time.time()
        error = ""
        try:
            session.rate(card, Rating.GOOD if rng.random() < 0.8 else Rating.AGAIN)
            card = session.next_card()
        except Exception as exc:  # a lock timeout is what this measures
            error = type(exc).__name__ + ": " + str(getattr(exc, "orig", exc)).splitlines()[0]
            session = ReviewSession(svc)
            card = session.next_card()
        out.append((t0, (time.time() - t0) * 1000, error))
        time.sleep(rng.uniform(0.1, 0.4))  # reading the next question
    svc.engine.dispose()
    Path(path).write_text(json.dumps(out))


def answers_during_import(
    owner_url: str, student_urls: list[str], bank_file: Path, old_lock: bool
) -> dict[str, object]:
    ctx = multiprocessing.get_context("spawn")
    stop = ctx.Event()
    tmp = Path(tempfile.mkdtemp(prefix="cls_bench_"))
    paths = [str(tmp / f"student{i}.json") for i in range(len(student_urls))]
    procs = [
        ctx.Process(target=student_loop, args=(u, stop, p))
        for u, p in zip(student_urls, paths, strict=True)
    ]
    for proc in procs:
        proc.start()
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:  # everyone is answering
        if all(Path(p + ".ready").exists() for p in paths):
            break
        time.sleep(0.2)
    else:
        stop.set()
        raise SystemExit("the students did not start answering")
    time.sleep(3)
    code = OLD_LOCK if old_lock else NEW_LOCK
    load_before = os.getloadavg()[0]
    t_start = time.time()
    done = subprocess.run(
        [sys.executable, "-c", code, "--db", owner_url, "import", str(bank_file)],
        capture_output=True,
        text=True,
    )
    t_end = time.time()
    load_during = os.getloadavg()[0]
    time.sleep(2)
    stop.set()
    for proc in procs:
        proc.join(120)
    results = [json.loads(Path(p).read_text()) for p in paths if Path(p).exists()]
    shutil.rmtree(tmp, ignore_errors=True)
    during = [(ms, err) for r in results for (t0, ms, err) in r if t_start <= t0 <= t_end]
    before = [ms for r in results for (t0, ms, err) in r if t0 < t_start and not err]
    ok = [ms for ms, err in during if not err]
    errors = sorted({err for _, err in during if err})
    return {
        "import_s": round(t_end - t_start, 1),
        "import_ok": done.returncode == 0,
        "load_average_before_and_end": [round(load_before, 1), round(load_during, 1)],
        "answers_before_import": len(before),
        "answer_ms_p50_before_import": round(pct(before, 0.5), 1) if before else None,
        "answer_ms_p95_before_import": round(pct(before, 0.95), 1) if before else None,
        "answers_during_import": len(during),
        "failed_answers_during_import": len(during) - len(ok),
        "failures": errors[:3],
        "answer_ms_p50_during_import": round(pct(ok, 0.5), 1) if ok else None,
        "answer_ms_p95_during_import": round(pct(ok, 0.95), 1) if ok else None,
        "answer_ms_max_during_import": round(max(ok), 1) if ok else None,
    }


def fill_learners(owner_url: str, n: int, seed: int = 7) -> None:
    """n learners, each with ~300 cards on CPC items, ~600 reviews and two submitted exams."""
    import sqlalchemy as sa

    from certprep.store.engine import make_engine
    from certprep.store.tables import (
        CARD,
        EXAM_ANSWER,
        EXAM_ATTEMPT,
        ITEM,
        ITEM_EXAM,
        LEARNER,
        REVIEW_LOG,
    )

    rng = random.Random(seed)
    engine = make_engine(owner_url)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        pool = conn.execute(
            sa.select(ITEM_EXAM.c.item_id, ITEM_EXAM.c.section)
            .join(ITEM, ITEM.c.id == ITEM_EXAM.c.item_id)
            .where(ITEM_EXAM.c.exam == "cpc")
        ).all()
        for k in range(n):
            lid = conn.execute(
                sa.insert(LEARNER).values(
                    name=f"bench-learner-{k:04d}", created_at=now, settings={}
                )
            ).inserted_primary_key[0]
            mine = rng.sample(pool, min(300, len(pool)))
            cards, logs = [], []
            for item_id, _section in mine:
                last = now - timedelta(days=rng.uniform(0, 60))
                stability = rng.uniform(0.5, 60)
                cards.append(
                    {
                        "learner_id": lid,
                        "item_id": item_id,
                        "state": 2,
                        "stability": stability,
                        "difficulty": rng.uniform(1, 10),
                        "due": last + timedelta(days=stability),
                        "last_review": last,
                        "reps": 2,
                        "introduced_at": last,
                    }
                )
                for j in range(2):
                    logs.append(
                        {
                            "learner_id": lid,
                            "item_id": item_id,
                            "rating": 3,
                            "reviewed_at": last - timedelta(days=j),
                            "source": "review",
                        }
                    )
            conn.execute(sa.insert(CARD), cards)
            conn.execute(sa.insert(REVIEW_LOG), logs)
            for a in range(2):
                aid = conn.execute(
                    sa.insert(EXAM_ATTEMPT).values(
                        learner_id=lid,
                        blueprint_key="cpc",
                        blueprint={},
                        title="CPC",
                        seed=a,
                        mode="timed",
                        status="submitted",
                        started_at=now - timedelta(days=10 - a),
                        position=0,
                        result={},
                    )
                ).inserted_primary_key[0]
                form = rng.sample(pool, min(100, len(pool)))
                conn.execute(
                    sa.insert(EXAM_ANSWER),
                    [
                        {
                            "attempt_id": aid,
                            "position": p,
                            "item_id": item_id,
                            "section": section,
                            "choice_order": ["a", "b", "c", "d"],
                            "response": ["a"],
                            "struck": [],
                            "correct": rng.random() < 0.7,
                        }
                        for p, (item_id, section) in enumerate(form)
                    ],
                )
    engine.dispose()


def class_report_seconds(instructor_url: str) -> tuple[float, float, int]:
    from certprep.services import open_services
    from certprep.services.class_report import class_report, render_class

    svc = open_services(instructor_url)
    t, cpu = time.perf_counter(), time.process_time()
    report = class_report(svc, "cpc")
    render_class(report, "text")
    elapsed, cpu = time.perf_counter() - t, time.process_time() - cpu
    svc.engine.dispose()
    return elapsed, cpu, len(report.students)


def pool_size(url: str) -> int:
    import sqlalchemy as sa

    from certprep.store.engine import make_engine
    from certprep.store.tables import ITEM_EXAM

    engine = make_engine(url)
    with engine.connect() as conn:
        n = conn.execute(
            sa.select(sa.func.count()).select_from(ITEM_EXAM).where(ITEM_EXAM.c.exam == "cpc")
        ).scalar_one()
    engine.dispose()
    return int(n)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pg-url", default=os.environ.get("CERTPREP_BENCH_PG_URL"), required=False)
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--students", type=int, default=12)
    ap.add_argument("--learners", type=int, default=500)
    ap.add_argument("--compare", action="store_true", help="also run the import on the old lock")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if not args.pg_url:
        raise SystemExit(
            "give --pg-url (a role with CREATEDB and CREATEROLE) or CERTPREP_BENCH_PG_URL"
        )
    import sqlalchemy as sa

    from certprep.services import open_services
    from certprep.services.classroom import close

    admin = sa.create_engine(args.pg_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    db = f"cls_bench_{os.getpid()}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{db}"'))
    owner_url = admin.url.set(database=db).render_as_string(hide_password=False)
    out: dict[str, object] = {"items": args.items, "students": args.students}
    owner = None
    try:
        owner = open_services(owner_url)  # schema and the bundled banks, as an instructor would
        cli("--db", owner_url, "classroom", "init")
        names = [f"cls_bench_{os.getpid()}_s{i}" for i in range(args.students)]
        urls = [cli("--db", owner_url, "classroom", "add-student", n).strip() for n in names]
        inst = cli("--db", owner_url, "classroom", "add-instructor", f"cls_bench_{os.getpid()}_i")
        with tempfile.TemporaryDirectory() as tmp:
            bank_file = Path(tmp) / "class_bank.json"
            bank_file.write_text(json.dumps(synthetic_bank(args.items, name="classbank")))
            out["own_lock"] = answers_during_import(owner_url, urls, bank_file, old_lock=False)
            if args.compare:
                again = Path(tmp) / "class_bank_2.json"
                again.write_text(json.dumps(synthetic_bank(args.items, name="classbank2")))
                out["old_writer_lock"] = answers_during_import(
                    owner_url, urls, again, old_lock=True
                )
        fill_learners(owner_url, args.learners)
        seconds, cpu, n = class_report_seconds(inst.strip())
        out["class_report_learners"] = n
        out["class_report_s"] = round(seconds, 2)
        out["class_report_client_cpu_s"] = round(cpu, 2)
        out["cpc_pool_items"] = pool_size(owner_url)
        out["load_average_after"] = round(os.getloadavg()[0], 1)
    finally:
        if owner is not None:
            close(owner.engine)
            owner.engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        admin.dispose()
    if args.json:
        print(json.dumps(out, indent=2))
        return
    for key, value in out.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
