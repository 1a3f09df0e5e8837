"""`certprep optimize`: fit the learner's FSRS parameters and keep them only if they are better."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from certprep.core.optimize import LogEntry, OptimizeResult, optimize
from certprep.services.review import settings_for
from certprep.store.tables import REVIEW_LOG

if TYPE_CHECKING:
    from certprep.services.services import Services


def optimize_parameters(services: Services, *, save: bool = True) -> OptimizeResult:
    """Fit on the learner's review log (time-ordered split); save the parameters when better."""
    lid = services.learner_id
    q = (
        sa.select(REVIEW_LOG.c.item_id, REVIEW_LOG.c.reviewed_at, REVIEW_LOG.c.rating)
        .where(REVIEW_LOG.c.learner_id == lid, REVIEW_LOG.c.source == "review")
        .order_by(REVIEW_LOG.c.reviewed_at)
    )
    with services.engine.connect() as conn:
        logs = [LogEntry(r.item_id, r.reviewed_at, r.rating) for r in conn.execute(q)]
    current = settings_for(services, None).parameters
    result = optimize(logs, current, int(services.settings["rollover_hour"]))
    if save and result.better and result.parameters is not None:
        services.update_settings(fsrs_parameters=result.parameters)
    return result
