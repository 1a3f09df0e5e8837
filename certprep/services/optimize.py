"""`certprep optimize`: fit the learner's FSRS parameters and keep them only if they are better."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from certprep.core.optimize import OptimizeResult, optimize_days
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


def optimize_parameters(services: Services, *, save: bool = True) -> OptimizeResult:
    """Fit on the learner's whole review log (time-ordered split); save the parameters when
    better.

    Days are the learner's study days in their own zone: the database hands over each review's
    UTC epoch second, streamed in time order, and ``EpochDays`` turns it into a study day
    without a datetime per row. Only ``fsrs_parameters`` is written, over the settings as
    stored now, so nothing another process saved is lost."""
    lid = services.learner_id
    services.reload_settings()
    at = REVIEW_LOG.c.reviewed_at
    if services.engine.dialect.name == "sqlite":
        epoch = sa.cast(sa.func.strftime("%s", at), sa.Integer)
    else:
        epoch = sa.cast(sa.func.floor(sa.extract("epoch", at)), sa.BigInteger)
    q = (
        sa.select(REVIEW_LOG.c.item_id, epoch, REVIEW_LOG.c.rating)
        .where(REVIEW_LOG.c.learner_id == lid, REVIEW_LOG.c.source.in_(SOURCES))
        .order_by(at, REVIEW_LOG.c.id)
        .execution_options(stream_results=True, yield_per=20_000)
    )
    day = EpochDays(int(services.settings["rollover_hour"]), learner_zone(services))
    reviews: list[tuple[str, int, int]] = []
    current = settings_for(services, None).parameters
    # millions of small tuples and lists: the cyclic GC would rescan them again and again
    with gc_paused(), services.engine.connect() as conn:
        for part in conn.execute(q).partitions():
            reviews += [(card, day(int(t)), rating) for card, t, rating in part]
        conn.close()
        result = optimize_days(reviews, current)
    if save and result.better and result.parameters is not None:
        services.update_settings(fsrs_parameters=result.parameters)
    return result
