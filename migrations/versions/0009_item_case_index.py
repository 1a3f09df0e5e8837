"""an index of the items in a case (issue 22)

Revision ID: 0009_item_case_index
Revises: 0008_perf_denormalised
Create Date: 2026-11-28

A form draw brings in the whole of every scenario series one of its drawn questions belongs to.
Without an index on ``item.case_id`` that read walked every item of the exam (340 ms at 1M
items whenever a series was drawn). ``ix_item_case`` holds only the items that have a case.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_item_case_index"
down_revision = "0008_perf_denormalised"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_item_case",
        "item",
        ["case_id"],
        unique=False,
        sqlite_where=sa.text("case_id IS NOT NULL"),
        postgresql_where=sa.text("case_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_item_case", table_name="item")
