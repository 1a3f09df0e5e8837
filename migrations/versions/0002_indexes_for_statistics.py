"""indexes for statistics and optimisation

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

The optimiser reads a learner's review log by source in time order, and the statistics and
due counts group a learner's cards by state; both scanned whole tables without these.
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("review_log", schema=None) as batch_op:
        batch_op.create_index(
            "ix_review_log_learner_source_time", ["learner_id", "source", "reviewed_at"], unique=False
        )
    with op.batch_alter_table("card", schema=None) as batch_op:
        batch_op.create_index("ix_card_learner_state", ["learner_id", "state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("card", schema=None) as batch_op:
        batch_op.drop_index("ix_card_learner_state")
    with op.batch_alter_table("review_log", schema=None) as batch_op:
        batch_op.drop_index("ix_review_log_learner_source_time")
