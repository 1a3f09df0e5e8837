"""`certprep optimize`: fits on older reviews, judges on newer ones, says when there is too little."""

from __future__ import annotations

import math
import random
from datetime import timedelta

import pytest
import sqlalchemy as sa

from certprep.banks.importer import import_bank
from certprep.services import Services, open_services
from certprep.services.optimize import optimize_parameters
from certprep.store.tables import REVIEW_LOG

from .conftest import make_bank


def _simulate(services: Services, clock, cards: int, days: int, seed: int = 7) -> int:
    """A learner whose memory decays faster than FSRS's defaults assume."""
    import_bank(services.engine, make_bank(cards), checksum="g")
    rng = random.Random(seed)
    lid = services.learner_id
    rows = []
    start = clock()
    for c in range(cards):
        t, stability = start + timedelta(hours=rng.random() * 24), 0.5
        rows.append(
            {
                "learner_id": lid,
                "item_id": f"gen-{c:05d}",
                "rating": 3,
                "reviewed_at": t,
                "source": "review",
            }
        )
        while True:
            gap = max(1.0, stability * rng.uniform(0.6, 1.6))
            t += timedelta(days=gap)
            if t > start + timedelta(days=days):
                break
            recall = math.exp(-gap / (stability * 1.3)) > rng.random()
            rating = 3 if recall else 1
            stability = stability * 2.2 if recall else max(0.3, stability * 0.4)
            rows.append(
                {
                    "learner_id": lid,
                    "item_id": f"gen-{c:05d}",
                    "rating": rating,
                    "reviewed_at": t,
                    "source": "review",
                }
            )
    with services.engine.begin() as conn:
        conn.execute(sa.insert(REVIEW_LOG), rows)
    return len(rows)


def test_too_little_history_is_said_and_nothing_changes(services: Services, clock) -> None:
    _simulate(services, clock, cards=5, days=10)
    result = optimize_parameters(services)
    assert not result.enough
    assert "Too little history" in result.message
    assert "fsrs_parameters" not in services.settings


@pytest.mark.both_backends  # the PostgreSQL path reads the log its own way
def test_fits_and_reports_before_and_after(services: Services, clock, db_path) -> None:
    n = _simulate(services, clock, cards=120, days=120)
    assert n >= 400
    result = optimize_parameters(services)
    assert result.enough and result.test_items > 0 and result.train_items > result.test_items
    assert result.before_log_loss is not None and result.after_log_loss is not None
    assert result.before_rmse is not None and result.after_rmse is not None
    # this learner forgets much faster than FSRS's defaults assume: the fit is better, and kept
    assert result.after_log_loss < result.before_log_loss
    assert result.better and "kept" in result.message
    assert services.settings["fsrs_parameters"] == result.parameters
    assert open_services(str(db_path), "tester").settings["fsrs_parameters"] == result.parameters


def test_worse_parameters_are_not_kept(
    services: Services, clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fit that predicts the held-out reviews worse leaves the current parameters in use."""
    import fsrs_rs_python as rs

    real = rs.FSRS

    class BadFit:
        def __init__(self, params: list[float]) -> None:
            self.real = real(params)

        def evaluate(self, items):  # type: ignore[no-untyped-def]
            return self.real.evaluate(items)

        def compute_parameters(self, train):  # type: ignore[no-untyped-def]
            # initial stabilities of two months for a learner who forgets within days
            return [60.0, 60.0, 60.0, 60.0, *rs.DEFAULT_PARAMETERS[4:]]

    monkeypatch.setattr(rs, "FSRS", BadFit)
    _simulate(services, clock, cards=120, days=120)
    services.update_settings(fsrs_parameters=list(rs.DEFAULT_PARAMETERS))
    result = optimize_parameters(services)
    assert result.enough and result.after_log_loss > result.before_log_loss
    assert not result.better and "stay" in result.message
    assert services.settings["fsrs_parameters"] == list(rs.DEFAULT_PARAMETERS)


@pytest.mark.both_backends  # the PostgreSQL path reads the log its own way
def test_the_whole_history_trains(services: Services, clock) -> None:
    """No cap: every review after a card's first on a later day is an item (issue 22)."""
    from collections import defaultdict

    n = _simulate(services, clock, cards=120, days=120)
    with services.engine.connect() as conn:
        rows = conn.execute(
            sa.select(REVIEW_LOG.c.item_id).order_by(REVIEW_LOG.c.reviewed_at, REVIEW_LOG.c.id)
        ).all()
    per_card: dict[str, int] = defaultdict(int)
    for (card,) in rows:
        per_card[card] += 1
    later = sum(k - 1 for k in per_card.values())  # the simulation's gaps are a day or more
    result = optimize_parameters(services, save=False)
    assert result.reviews == n
    assert result.train_items + result.test_items == later


def test_one_pass_histories_are_the_ones_build_items_makes() -> None:
    """The one-pass items from epoch seconds equal the items from times and zones."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from certprep.core.optimize import LogEntry, build_items, histories
    from certprep.core.studyday import EpochDays

    rng = random.Random(3)
    zone = ZoneInfo("America/New_York")
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    logs = sorted(
        (
            LogEntry(
                f"c{rng.randrange(40)}",
                t0 + timedelta(hours=rng.uniform(0, 24 * 300)),
                rng.randint(1, 4),
            )
            for _ in range(3000)
        ),
        key=lambda e: e.reviewed_at,
    )
    by_times = [h for _, h in build_items(logs, 4, zone=zone)]
    rows = [(e.card, int(e.reviewed_at.timestamp()), e.rating) for e in logs]
    by_days = histories([rows[:1000], rows[1000:]], EpochDays(4, zone)).items
    assert by_days == by_times and len(by_days) > 1000


def test_settings_saved_elsewhere_are_not_overwritten(
    services: Services, db_path, clock, blueprints_only
) -> None:
    """`certprep optimize` in one process, the TUI's settings screen in another."""
    tui = services
    _ = tui.settings  # the TUI has read (and cached) the settings
    cli = open_services(str(db_path), "tester", clock=clock, banks_dir=blueprints_only)
    _simulate(cli, clock, cards=120, days=120)
    result = optimize_parameters(cli)
    assert result.better
    tui.update_settings(new_per_day=5)  # the learner saves the settings screen
    fresh = open_services(str(db_path), "tester").settings
    assert fresh["fsrs_parameters"] == result.parameters and fresh["new_per_day"] == 5
    # and the TUI's next review session schedules with the new parameters
    from certprep.services.review import ReviewSession

    assert ReviewSession(tui).settings.parameters == tuple(result.parameters)


def test_the_optimizer_trains_on_exam_answers_and_imported_history(
    services: Services, clock
) -> None:
    n = _simulate(services, clock, cards=120, days=120)
    with services.engine.begin() as conn:
        rows = conn.execute(sa.select(REVIEW_LOG.c.id).order_by(REVIEW_LOG.c.id)).all()
        conn.execute(
            sa.update(REVIEW_LOG)
            .where(REVIEW_LOG.c.id.in_([r.id for r in rows[::3]]))
            .values(source="exam")
        )
        conn.execute(
            sa.update(REVIEW_LOG)
            .where(REVIEW_LOG.c.id.in_([r.id for r in rows[1::3]]))
            .values(source="import")
        )
    assert optimize_parameters(services, save=False).reviews == n


def test_only_the_newest_reviews_become_training_items() -> None:
    from datetime import UTC, datetime

    from certprep.core.optimize import LogEntry, build_items

    t0 = datetime(2026, 1, 1, 12, tzinfo=UTC)
    logs = [LogEntry("c1", t0 + timedelta(days=d), 3) for d in (0, 2, 5, 9)]
    every = build_items(logs)
    assert [h for _, h in every] == [
        [(3, 0), (3, 2)],
        [(3, 0), (3, 2), (3, 3)],
        [(3, 0), (3, 2), (3, 3), (3, 4)],
    ]
    newest = build_items(logs, since=t0 + timedelta(days=9))
    # the first interval (which fits the initial stabilities) and the newest review, whole
    assert [h for _, h in newest] == [[(3, 0), (3, 2)], [(3, 0), (3, 2), (3, 3), (3, 4)]]


def _same(a: object, b: object) -> None:
    """The same result: counts, message and parameters (fsrs-rs's RMSE(bins) can differ in the
    last float digit from one run to the next, in one process as well)."""
    assert vars(a) == pytest.approx(vars(b), rel=1e-6)


def test_a_second_process_scoring_gives_the_same_result(services: Services, clock) -> None:
    """A large log is read by a worker process too (it builds and scores the newest reviews'
    items while this process fits): the result, message and parameters are the same."""
    _simulate(services, clock, cards=150, days=150)
    alone = optimize_parameters(services, save=False, worker=False)
    paired = optimize_parameters(services, save=False, worker=True)
    assert alone.enough and alone.test_items > 0 and alone.parameters
    _same(paired, alone)


def test_a_worker_that_fails_changes_nothing(services: Services, clock, monkeypatch) -> None:
    """A worker that cannot start, or dies half-way, leaves the whole job to this process."""
    import subprocess

    from certprep.store import optimize_worker

    _simulate(services, clock, cards=120, days=120)
    alone = optimize_parameters(services, save=False, worker=False)

    def no_start(*args: object, **kwargs: object) -> None:
        raise OSError("no processes left")

    with monkeypatch.context() as m:
        m.setattr(subprocess, "Popen", no_start)
        _same(optimize_parameters(services, save=False, worker=True), alone)

    def dies(self: object, parameters: list[float]) -> dict[str, object]:
        raise optimize_worker.WorkerStopped("killed")

    with monkeypatch.context() as m:
        m.setattr(optimize_worker.HeldOut, "after", dies)
        _same(optimize_parameters(services, save=False, worker=True), alone)


def test_too_little_history_is_said_the_same_with_a_worker(services: Services, clock) -> None:
    _simulate(services, clock, cards=3, days=3)
    alone = optimize_parameters(services, save=False, worker=False)
    assert not alone.enough
    _same(optimize_parameters(services, save=False, worker=True), alone)


@pytest.mark.parametrize(
    ("loadavg", "cpus", "free"),
    [
        ("0.10 0.20 0.30 1/240 999", 2, True),  # this process alone: the other core is idle
        ("1.90 1.50 1.20 2/241 999", 2, False),  # another busy program: the two would share
        ("3.00 3.00 3.00 3/300 999", 8, True),
        ("0.10 0.20 0.30 1/240 999", 1, False),  # one core: never a second process
        ("garbled", 2, True),
    ],
)
def test_the_worker_waits_for_a_free_core(tmp_path, monkeypatch, loadavg, cpus, free) -> None:
    import os

    from certprep.store.optimize_worker import free_core

    path = tmp_path / "loadavg"
    path.write_text(loadavg)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cpus)), raising=False)
    assert free_core(str(path)) is free
