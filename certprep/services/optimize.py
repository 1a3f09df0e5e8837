"""`certprep optimize`: fit the learner's FSRS parameters and keep them only if they are better."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from certprep.core.optimize import LogEntry, OptimizeResult, optimize
from certprep.services.review import settings_for
from certprep.services.settings import learner_zone
from certprep.store.tables import REVIEW_LOG

if TYPE_CHECKING:
    from certprep.services.services import Services

# the history the scheduler acted on: review ratings, exam answers (see review.exam_answers)
# and reviews carried over from Anki
SOURCES = ("review", "exam", "import")


def optimize_parameters(services: Services, *, save: bool = True) -> OptimizeResult:
    """Fit on the learner's review log (time-ordered split); save the parameters when better.

    Days are the learner's study days in their own zone. Only ``fsrs_parameters`` is written,
    over the settings as stored now, so nothing another process saved is lost."""
    lid = services.learner_id
    services.reload_settings()
    q = (
        sa.select(REVIEW_LOG.c.item_id, REVIEW_LOG.c.reviewed_at, REVIEW_LOG.c.rating)
        .where(REVIEW_LOG.c.learner_id == lid, REVIEW_LOG.c.source.in_(SOURCES))
        .order_by(REVIEW_LOG.c.reviewed_at, REVIEW_LOG.c.id)
    )
    with services.engine.connect() as conn:
        logs = [LogEntry(r.item_id, r.reviewed_at, r.rating) for r in conn.execute(q)]
    current = settings_for(services, None).parameters
    result = optimize(
        logs, current, int(services.settings["rollover_hour"]), learner_zone(services)
    )
    if save and result.better and result.parameters is not None:
        services.update_settings(fsrs_parameters=result.parameters)
    return result
