"""`certprep optimize`: fit the learner's FSRS parameters and keep them only if they are better."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, tzinfo
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from certprep.core.optimize import (
    OptimizeResult,
    could_not_fit,
    fit,
    fitted_on,
    fsrs_histories,
    judged,
    too_little,
    train_reviews,
)
from certprep.core.studyday import EpochDays
from certprep.services.imports import gc_paused
from certprep.services.review import settings_for
from certprep.services.settings import learner_zone
from certprep.store.optimize_worker import (
    BATCH,
    SOURCES,
    HeldOut,
    WorkerStopped,
    free_core,
    sqlite_batches,
)
from certprep.store.tables import CARD, REVIEW_LOG

if TYPE_CHECKING:
    from certprep.services.services import Services

# below this many reviews one process does it all (well under a second; no process to start)
WORKER_MIN_REVIEWS = 50_000
# nor with short histories: the fit is then small next to reading the log, which the worker
# does whole, so the worker would be waited for (1M reviews on 600k cards: 2.0 s alone, 3.2 s
# with it; on 60k cards the fit is 2.2 s and the worker saves its pass and a scoring)
WORKER_MIN_REVIEWS_PER_CARD = 8


def _sqlite_batches(
    conn: sa.Connection, lid: int, limit: int | None = None
) -> Iterator[Sequence[Any]]:
    cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    return sqlite_batches(cur, lid, limit)


def _streamed_batches(
    conn: sa.Connection, lid: int, limit: int | None = None
) -> Iterator[Sequence[Any]]:
    at = REVIEW_LOG.c.reviewed_at
    epoch = sa.cast(sa.func.floor(sa.extract("epoch", at)), sa.BigInteger)
    q = (
        sa.select(REVIEW_LOG.c.item_id, epoch, REVIEW_LOG.c.rating)
        .where(REVIEW_LOG.c.learner_id == lid, REVIEW_LOG.c.source.in_(SOURCES))
        .order_by(at, REVIEW_LOG.c.id)
        .limit(limit)
        .execution_options(stream_results=True, yield_per=BATCH)
    )
    yield from conn.execute(q).partitions()


def _count(conn: sa.Connection, lid: int) -> int:
    q = sa.select(sa.func.count()).where(
        REVIEW_LOG.c.learner_id == lid, REVIEW_LOG.c.source.in_(SOURCES)
    )
    return int(conn.execute(q).scalar_one())


def _cards(conn: sa.Connection, lid: int) -> int:
    q = sa.select(sa.func.count()).select_from(CARD).where(CARD.c.learner_id == lid)
    return int(conn.execute(q).scalar_one())


def _zone_key(zone: tzinfo) -> str | None:
    """The IANA name a worker process can rebuild ``zone`` from (None: it cannot)."""
    if zone is UTC:
        return "UTC"
    key = getattr(zone, "key", None)
    return key if isinstance(key, str) else None


def _with_worker(engine: sa.Engine, job: dict[str, Any], days: EpochDays) -> OptimizeResult:
    """Train here while the worker builds and scores the held-out items (module docstring of
    ``store.optimize_worker``); WorkerStopped if it fails, before anything is decided."""
    with HeldOut(job) as held:
        with engine.connect() as conn:
            cut_rows = _sqlite_batches(conn, job["learner"], job["cut"])
            train = fsrs_histories(cut_rows, days).items
        # fitted before the worker's counts are read: its pass is longer than this one's, and
        # a history too small to fit is rare at this size (the fit is then thrown away)
        try:
            fitted: list[float] | str = fitted_on(job["current"], train)
        except ValueError as exc:  # fsrs-rs: NotEnoughData and the like
            fitted = str(exc)
        counts = held.receive()
        n, days_seen, test = counts["reviews"], counts["days"], counts["test"]
        refused = too_little(n, days_seen, len(train), test)
        if refused is not None:
            return refused
        if "error" in counts or isinstance(fitted, str):
            return could_not_fit(counts.get("error", fitted), n, days_seen)
        scored = held.after(fitted)
        if "error" in scored:
            return could_not_fit(scored["error"], n, days_seen)
        before, after = tuple(counts["before"]), tuple(scored["after"])
        return judged(n, days_seen, len(train), test, before, after, fitted)


def optimize_parameters(
    services: Services, *, save: bool = True, worker: bool | None = None
) -> OptimizeResult:
    """Fit on the learner's whole review log (time-ordered split); save the parameters when
    better.

    Days are the learner's study days in their own zone: the database hands over each review's
    UTC epoch second, streamed in time order, and ``EpochDays`` turns them into study days once
    per hour of the log. Every card's history is built in that one pass. A large SQLite log of
    long histories (``WORKER_MIN_REVIEWS``, ``WORKER_MIN_REVIEWS_PER_CARD``), when a core is
    free (``free_core``; ``worker`` True or False forces either way), is read by a second
    process too, which scores while this one fits (``store.optimize_worker``). Only
    ``fsrs_parameters`` is written, over the settings as stored now, so nothing another process
    saved is lost."""
    lid = services.learner_id
    services.reload_settings()
    zone = learner_zone(services)
    rollover = int(services.settings["rollover_hour"])
    day = EpochDays(rollover, zone)
    current = list(settings_for(services, None).parameters)
    engine = services.engine
    sqlite = engine.dialect.name == "sqlite"
    rows = _sqlite_batches if sqlite else _streamed_batches
    # millions of small objects: the cyclic GC would rescan them again and again
    with gc_paused():
        with engine.connect() as conn:
            n = _count(conn, lid)
            if worker is None:
                worker = (
                    n >= WORKER_MIN_REVIEWS
                    and n >= WORKER_MIN_REVIEWS_PER_CARD * _cards(conn, lid)
                    and free_core()
                )
        cut = train_reviews(n)
        path, key = engine.url.database, _zone_key(zone)
        result = None
        if worker and sqlite and path not in (None, "", ":memory:") and key is not None:
            job = {"db": path, "learner": lid, "rollover": rollover, "zone": key, "cut": cut}
            try:
                result = _with_worker(engine, job | {"current": current}, day)
            except WorkerStopped:
                result = None  # this process does it all, as for a small log
        if result is None:
            with engine.connect() as conn:
                found = fsrs_histories(rows(conn, lid), day, cut=cut)
            result = fit(found, current)  # (the connection is back in the pool while it fits)
    if save and result.better and result.parameters is not None:
        services.update_settings(fsrs_parameters=result.parameters)
    return result
