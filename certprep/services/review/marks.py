"""Suspend, bury, flag and mark: in a session (each undoable) and, for a browser or the CLI,
on any cards (``unsuspend``, ``unbury``, ``suspended_cards``, ``buried_cards``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from certprep.core.scheduling import NEW
from certprep.core.studyday import next_study_day
from certprep.services.review.model import StudyCard, UndoStep, snapshot
from certprep.services.review.queue import QueueSession
from certprep.services.settings import learner_zone
from certprep.store.engine import writing
from certprep.store.tables import CARD, ITEM

if TYPE_CHECKING:
    from certprep.services.services import Services


def _set(conn: Any, lid: int, item_id: str, **values: Any) -> None:
    res = conn.execute(
        sa.update(CARD).where(CARD.c.learner_id == lid, CARD.c.item_id == item_id).values(**values)
    )
    if res.rowcount == 0:
        conn.execute(sa.insert(CARD).values(learner_id=lid, item_id=item_id, state=NEW, **values))


def bury_until(services: Services) -> Any:
    """When a card buried now comes back: the learner's next study day (local rollover)."""
    return next_study_day(
        services.clock(), int(services.settings["rollover_hour"]), learner_zone(services)
    )


class MarkingSession(QueueSession):
    """Suspend, bury, flag and mark for a review session; each goes on the undo stack."""

    def _change(
        self, kind: str, study: StudyCard, item_ids: list[str], **values: Any
    ) -> list[tuple[str, str]]:
        lid = self.services.learner_id
        with writing(self.services.engine) as conn:
            rows = snapshot(conn, lid, item_ids)
            for item_id in item_ids:
                _set(conn, lid, item_id, **values)
        removed: list[tuple[str, str]] = []
        if kind in ("suspend", "bury"):
            removed = self._drop(set(item_ids))
        self._undo.append(UndoStep(kind, rows, study.item.id, requeue=removed))
        return removed

    def suspend(self, study: StudyCard) -> None:
        """Take the card out of review until the learner unsuspends it (undo takes it back)."""
        self._change("suspend", study, [study.item.id], suspended=True)

    def bury(self, study: StudyCard, *, siblings: bool = True) -> int:
        """Hide the card (and the other items of its case) until the next study day."""
        ids = {study.item.id}
        if siblings and study.item.case:
            with self.services.engine.connect() as conn:
                ids |= {
                    r.id
                    for r in conn.execute(
                        sa.select(ITEM.c.id).where(ITEM.c.case_id == study.item.case)
                    )
                }
        self._change("bury", study, sorted(ids), buried_until=bury_until(self.services))
        return len(ids)

    def toggle_flag(self, study: StudyCard) -> bool:
        study.flagged = not study.flagged
        self._change("flag", study, [study.item.id], flagged=study.flagged)
        return study.flagged

    def toggle_mark(self, study: StudyCard) -> bool:
        study.marked = not study.marked
        self._change("mark", study, [study.item.id], marked=study.marked)
        return study.marked


def unsuspend(services: Services, item_ids: list[str]) -> int:
    """Put suspended cards back into review (a leech keeps its leech tag); returns how many."""
    return _clear(services, item_ids, CARD.c.suspended.is_(True), suspended=False)


def unbury(services: Services, item_ids: list[str]) -> int:
    """Bring buried cards back now rather than at the next study day; returns how many."""
    return _clear(services, item_ids, CARD.c.buried_until > services.clock(), buried_until=None)


def _clear(services: Services, item_ids: list[str], cond: Any, **values: Any) -> int:
    lid = services.learner_id
    with writing(services.engine) as conn:
        res = conn.execute(
            sa.update(CARD)
            .where(CARD.c.learner_id == lid, CARD.c.item_id.in_(list(item_ids)), cond)
            .values(**values)
        )
    return int(res.rowcount)


def suspended_cards(services: Services) -> list[str]:
    """The learner's suspended cards (item ids), leeches included."""
    lid = services.learner_id
    with services.engine.connect() as conn:
        return [
            r[0]
            for r in conn.execute(
                sa.select(CARD.c.item_id)
                .where(CARD.c.learner_id == lid, CARD.c.suspended.is_(True))
                .order_by(CARD.c.item_id)
            )
        ]


def buried_cards(services: Services) -> list[str]:
    """The learner's cards buried now (item ids)."""
    lid = services.learner_id
    with services.engine.connect() as conn:
        return [
            r[0]
            for r in conn.execute(
                sa.select(CARD.c.item_id)
                .where(CARD.c.learner_id == lid, CARD.c.buried_until > services.clock())
                .order_by(CARD.c.item_id)
            )
        ]
