"""item and case ids belong to their bank (issue 17)

Revision ID: 0006_bank_scoped_ids
Revises: 0005_perf_indexes
Create Date: 2026-11-28

Two banks may both call a question "Q1" (or a case "C1"). ``item.id`` and ``case_text.id``
stay the database's keys (every card, review and exam answer points at them, unchanged), and a
new ``source_id`` holds the id the bank's author gave, unique per bank: ``uq_item_bank_source``
and ``uq_case_text_bank_source`` (bank_id, source_id). Existing rows keep their keys and get
``source_id = id``, so every history stays where it was.

No table is copied: on SQLite a batch copy would DROP the item table, and with foreign keys on
that deletes every card and review on it. The column is added in place (NOT NULL with an empty
default, which SQLite needs to add such a column; PostgreSQL drops the default afterwards).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_bank_scoped_ids"
down_revision = "0005_perf_indexes"
branch_labels = None
depends_on = None

TABLES = ("item", "case_text")


def upgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    for table in TABLES:
        op.execute(
            sa.text(f"ALTER TABLE {table} ADD COLUMN source_id VARCHAR(120) NOT NULL DEFAULT ''")
        )
        op.execute(sa.text(f"UPDATE {table} SET source_id = id"))
        if pg:
            op.execute(sa.text(f"ALTER TABLE {table} ALTER COLUMN source_id DROP DEFAULT"))
        op.create_index(f"uq_{table}_bank_source", table, ["bank_id", "source_id"], unique=True)


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"uq_{table}_bank_source", table_name=table)
        # in place on both (SQLite >= 3.35): a table copy would cascade-delete the history
        op.execute(sa.text(f"ALTER TABLE {table} DROP COLUMN source_id"))
