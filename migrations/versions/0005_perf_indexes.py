"""indexes for the paths a learner waits on (issue 22)

Revision ID: 0005_perf_indexes
Revises: 0004
Create Date: 2026-11-28

- ``item_exam.rkey``: a random key per (item, exam), drawn once by the database when the row is
  written (a per-row random default), and ``ix_item_exam_walk`` (exam, section, rkey, item_id):
  a form draw walks a section from a seeded point in rkey order, unseen items first, instead
  of ranking every item of the exam; the same index covers the per-exam item counts.
- ``ix_item_retired``: the few retired items, so "live" is checked without reading item rows.
- ``ix_item_queue`` (bank, position, id): the review queue walks never-studied items in bank
  order without reading item rows (live through ``ix_item_retired``; with ``retired`` in this
  index SQLite would scan it to list the retired items).
- ``ix_card_learner_state_due`` (learner, state, due, suspended, buried_until, item_id): due
  counts and the review queue read only this index.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_perf_indexes"
down_revision = "0004"
branch_labels = None
depends_on = None


def random_default() -> sa.TextClause:
    """A fresh random key in [0, 2^31) for every row written, in the database's own dialect."""
    if op.get_bind().dialect.name == "postgresql":
        return sa.text("(floor(random() * 2147483647))::integer")
    return sa.text("(abs(random()) % 2147483647)")


def upgrade() -> None:
    with op.batch_alter_table("item_exam", schema=None) as batch_op:
        # existing rows get their own random key from the default as the column is added
        batch_op.add_column(
            sa.Column("rkey", sa.Integer(), nullable=False, server_default=random_default())
        )
    with op.batch_alter_table("item_exam", schema=None) as batch_op:
        batch_op.create_index(
            "ix_item_exam_walk", ["exam", "section", "rkey", "item_id"], unique=False
        )
    op.create_index(
        "ix_item_retired",
        "item",
        ["id"],
        unique=False,
        sqlite_where=sa.text("retired = 1"),
        postgresql_where=sa.text("retired = true"),
    )
    op.create_index(
        "ix_item_queue", "item", ["bank_id", "position", "id"], unique=False
    )
    op.create_index(
        "ix_card_learner_state_due",
        "card",
        ["learner_id", "state", "due", "suspended", "buried_until", "item_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_card_learner_state_due", table_name="card")
    op.drop_index("ix_item_queue", table_name="item")
    op.drop_index("ix_item_retired", table_name="item")
    with op.batch_alter_table("item_exam", schema=None) as batch_op:
        batch_op.drop_index("ix_item_exam_walk")
        batch_op.drop_column("rkey")
