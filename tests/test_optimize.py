"""`certprep optimize`: fits on older reviews, judges on newer ones, says when there is too little."""

from __future__ import annotations

import math
import random
from datetime import timedelta

import sqlalchemy as sa

from certprep.banks.importer import import_bank
from certprep.services import Services
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


def test_fits_and_reports_before_and_after(services: Services, clock) -> None:
    n = _simulate(services, clock, cards=120, days=120)
    assert n >= 400
    result = optimize_parameters(services)
    assert result.enough and result.test_items > 0 and result.train_items > result.test_items
    assert result.before_log_loss is not None and result.after_log_loss is not None
    assert result.before_rmse is not None and result.after_rmse is not None
    if result.better:
        assert services.settings["fsrs_parameters"] == result.parameters
        assert "kept" in result.message
    else:
        assert "fsrs_parameters" not in services.settings


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
