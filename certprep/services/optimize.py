"""`certprep optimize`: fit the learner's FSRS parameters and keep them only if they are better."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from certprep.core.optimize import OptimizeResult, fit, fsrs_histories
from certprep.core.studyday import EpochDays
from certprep.services.imports import gc_paused
from certprep.services.review import settings_for
from certprep.services.settings import learner_zone
from certprep.store.tables import REVIEW_LOG

if TYPE_CHECKING:
    from certprep.services.services import Services

# the history the scheduler acted on: review ratings, exam answers (see review.exam_answers)
# and reviews carried over from Anki
SOURCES = ("review", "exam", "import")
BATCH = 50_000
# SQLite reads each row's second with unixepoch() where it has it (3.38+: twice as fast as
# strftime('%s'), the same whole second for every stored time), through its own cursor
_EPOCH = (
    "unixepoch(reviewed_at)"
    if sqlite3.sqlite_version_info >= (3, 38)
    else "CAST(strftime('%s', reviewed_at) AS INTEGER)"
)
_SQLITE_LOG = (
    f"SELECT item_id, {_EPOCH}, rating FROM review_log "
    f"WHERE learner_id = ? AND source IN ({', '.join('?' * len(SOURCES))}) "
    "ORDER BY reviewed_at, id"
)


def _sqlite_batches(conn: sa.Connection, lid: int) -> Iterator[Sequence[Any]]:
    cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cur.execute(_SQLITE_LOG, (lid, *SOURCES))
        while batch := cur.fetchmany(BATCH):
            yield batch
    finally:
        cur.close()


def _streamed_batches(conn: sa.Connection, lid: int) -> Iterator[Sequence[Any]]:
    at = REVIEW_LOG.c.reviewed_at
    epoch = sa.cast(sa.func.floor(sa.extract("epoch", at)), sa.BigInteger)
    q = (
        sa.select(REVIEW_LOG.c.item_id, epoch, REVIEW_LOG.c.rating)
        .where(REVIEW_LOG.c.learner_id == lid, REVIEW_LOG.c.source.in_(SOURCES))
        .order_by(at, REVIEW_LOG.c.id)
        .execution_options(stream_results=True, yield_per=BATCH)
    )
    yield from conn.execute(q).partitions()


def optimize_parameters(services: Services, *, save: bool = True) -> OptimizeResult:
    """Fit on the learner's whole review log (time-ordered split); save the parameters when
    better.

    Days are the learner's study days in their own zone: the database hands over each review's
    UTC epoch second, streamed in time order, and ``EpochDays`` turns them into study days once
    per hour of the log. Every card's history is built in that one pass. Only
    ``fsrs_parameters`` is written, over the settings as stored now, so nothing another process
    saved is lost."""
    lid = services.learner_id
    services.reload_settings()
    day = EpochDays(int(services.settings["rollover_hour"]), learner_zone(services))
    current = settings_for(services, None).parameters
    rows = _sqlite_batches if services.engine.dialect.name == "sqlite" else _streamed_batches
    # millions of small objects: the cyclic GC would rescan them again and again
    with gc_paused():
        with services.engine.connect() as conn:
            found = fsrs_histories(rows(conn, lid), day)
        result = fit(found, current)  # (the connection is back in the pool while it fits)
    if save and result.better and result.parameters is not None:
        services.update_settings(fsrs_parameters=result.parameters)
    return result
