"""Never-studied items in bank order, found without walking past everything studied.

Learners go through a bank from its start, so the first unseen items sit after every studied
one. ``unseen_hint`` keeps, per learner and bank, a position before which every item has a card
of this learner that is not a fresh new card (state new without a due time): the walk for new
cards starts there. The hint is only a lower bound: the database's triggers delete it whenever a
write could make an earlier item unseen again (migration 0008_perf_denormalised), and it is raised
here inside a writing transaction, from the cards as that transaction reads them.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from certprep.core.scheduling import NEW
from certprep.services.review.limits import active, scoped_cards
from certprep.services.review.model import ReviewFilter
from certprep.store.tables import BANK, CARD, ITEM, UNSEEN_HINT

if TYPE_CHECKING:
    from certprep.services.services import Services

# raise a bank's hint once its first unseen item is this many positions past it (a smaller lag
# costs the walk a few index probes; raising it costs a write)
RAISE_AFTER = 64
# how long raising a hint may wait for another writer (it is only a shortcut: skip it instead)
RAISE_WAIT_MS = 100


def read_hints(conn: Any, lid: int) -> dict[int, int]:
    """The learner's hints, {bank id: position}."""
    rows = conn.execute(
        sa.select(UNSEEN_HINT.c.bank_id, UNSEEN_HINT.c.position).where(
            UNSEEN_HINT.c.learner_id == lid
        )
    )
    return {int(b): int(p) for b, p in rows}


def first_gap(conn: Any, lid: int, bank: int, start: int | None) -> int | None:
    """The position of the bank's first item at or after ``start`` (from the bank's start when
    None) without a studied card of this learner (one past the bank's last position when there
    is none; None for a bank without items)."""
    studied = sa.exists().where(
        CARD.c.learner_id == lid,
        CARD.c.item_id == ITEM.c.id,
        sa.or_(CARD.c.state != NEW, CARD.c.due.is_not(None)),
    )
    after = ITEM.c.position >= start if start is not None else sa.true()
    pos = conn.execute(
        sa.select(ITEM.c.position)
        .where(ITEM.c.bank_id == bank, after, ~studied)
        .order_by(ITEM.c.position)
        .limit(1)
    ).scalar()
    if pos is not None:
        return int(pos)
    top = conn.execute(
        sa.select(sa.func.max(ITEM.c.position)).where(ITEM.c.bank_id == bank)
    ).scalar()
    if top is None:
        return start
    return int(top) + 1 if start is None else max(start, int(top) + 1)


def unseen_items(
    conn: Any, lid: int, filt: ReviewFilter, now: datetime, cap: int
) -> tuple[list[str], list[int]]:
    """Up to ``cap`` items in the filter's scope, live, never studied (no card, or a fresh new
    card without a due time, not suspended or buried), in bank order; and the banks whose hint
    lags (to pass to ``raise_hints`` once this read is over)."""
    hints = read_hints(conn, lid)
    banks = conn.execute(sa.select(BANK.c.id).order_by(BANK.c.id)).scalars().all()
    fresh = sa.or_(
        CARD.c.item_id.is_(None),
        sa.and_(CARD.c.state == NEW, active(now), CARD.c.due.is_(None)),
    )
    joined = ITEM.outerjoin(CARD, sa.and_(CARD.c.item_id == ITEM.c.id, CARD.c.learner_id == lid))
    out: list[str] = []
    lagging: list[int] = []
    for bank in banks:
        if len(out) >= cap:
            break
        start = hints.get(bank)
        gap = first_gap(conn, lid, bank, start)
        if gap is None:
            continue
        if start is None or gap - start >= RAISE_AFTER:
            lagging.append(bank)
        out += conn.execute(
            scoped_cards(
                sa.select(ITEM.c.id)
                .select_from(joined)
                .where(ITEM.c.bank_id == bank, ITEM.c.position >= gap, fresh)
                .order_by(ITEM.c.position, ITEM.c.id)
                .limit(cap - len(out)),
                filt,
                ITEM.c.id,
            )
        ).scalars()
    return out, lagging


def raise_hints(services: Services, banks: list[int]) -> None:
    """Move these banks' hints up to their first unseen item, in one writing transaction (no
    write slips between reading the cards and storing the hint). It waits little for another
    writer and a refused write leaves the hints as they were: they are only a shortcut."""
    if not banks:
        return
    lid = services.learner_id
    engine = services.engine
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        if sqlite and raw is not None:
            raw.execute(f"PRAGMA busy_timeout = {RAISE_WAIT_MS}")
        try:
            with conn.execution_options(sqlite_immediate=True).begin():
                if not sqlite:
                    conn.exec_driver_sql(f"SET LOCAL lock_timeout = {RAISE_WAIT_MS}")
                hints = read_hints(conn, lid)
                for bank in banks:
                    pos = first_gap(conn, lid, bank, hints.get(bank))
                    if pos is None:
                        continue
                    where = (UNSEEN_HINT.c.learner_id == lid, UNSEEN_HINT.c.bank_id == bank)
                    if bank in hints:
                        conn.execute(sa.update(UNSEEN_HINT).where(*where).values(position=pos))
                    else:
                        conn.execute(
                            sa.insert(UNSEEN_HINT).values(
                                learner_id=lid, bank_id=bank, position=pos
                            )
                        )
        except sa.exc.DBAPIError:
            pass
        finally:
            if sqlite and raw is not None:
                from certprep.store.engine import BUSY_TIMEOUT_MS

                raw.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
