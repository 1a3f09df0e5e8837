"""Taking a bank out: removed with everything on it, or retired (kept with its history)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from certprep.core.problems import InputError
from certprep.store.engine import writing
from certprep.store.tables import BANK, EXAM_ANSWER, ITEM


def remove_bank(engine: Engine, name: str) -> int:
    """Delete a bank, its items and every card and log on them. Returns the items removed."""
    with writing(engine, importing=True) as conn:
        row = conn.execute(sa.select(BANK.c.id).where(BANK.c.name == name)).first()
        if row is None:
            raise InputError(f"no bank named {name!r}; `certprep banks list` shows the banks")
        n = conn.execute(
            sa.select(sa.func.count()).select_from(ITEM).where(ITEM.c.bank_id == row.id)
        ).scalar_one()
        used = conn.execute(
            sa.select(EXAM_ANSWER.c.attempt_id)
            .distinct()
            .select_from(EXAM_ANSWER.join(ITEM, ITEM.c.id == EXAM_ANSWER.c.item_id))
            .where(ITEM.c.bank_id == row.id)
        ).all()
        if used:
            # exam answers cascade with their items: attempts would lose what was asked
            raise InputError(
                f"bank {name!r} has questions in {len(used)} exam attempt"
                f"{'s' if len(used) != 1 else ''}; removing it would erase what was asked and "
                f"answered there. `certprep banks retire {name}` takes its questions out of "
                "review and new exams and keeps every attempt whole"
            )
        conn.execute(sa.delete(BANK).where(BANK.c.id == row.id))
        return int(n)


def retire_bank(engine: Engine, name: str) -> int:
    """Take a bank's items out of review and new exams, keeping them with every attempt and
    review of them. Returns the items retired."""
    with writing(engine, importing=True) as conn:
        row = conn.execute(sa.select(BANK.c.id).where(BANK.c.name == name)).first()
        if row is None:
            raise InputError(f"no bank named {name!r}; `certprep banks list` shows the banks")
        result = conn.execute(
            sa.update(ITEM)
            .where(ITEM.c.bank_id == row.id, ITEM.c.retired.is_(False))
            .values(retired=True)
        )
        return int(result.rowcount or 0)
