"""code-book lookups

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28

Each code-book search a learner makes, with the exam attempt and question it served, so results
show which questions needed the book and how long the search took.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import certprep.store.tables

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "codebook_lookup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=True),
        sa.Column("item_id", sa.String(length=120), nullable=True),
        sa.Column("context", sa.String(length=16), nullable=False),
        sa.Column("query", sa.String(length=200), nullable=False),
        sa.Column("system", sa.String(length=8), nullable=True),
        sa.Column("results", sa.Integer(), nullable=False),
        sa.Column("elapsed_ms", sa.Float(), nullable=False),
        sa.Column("spent_s", sa.Float(), nullable=True),
        sa.Column("code", sa.String(length=16), nullable=True),
        sa.Column("created_at", certprep.store.tables.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["exam_attempt.id"],
            name=op.f("fk_codebook_lookup_attempt_id_exam_attempt"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["learner.id"],
            name=op.f("fk_codebook_lookup_learner_id_learner"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_codebook_lookup")),
    )
    with op.batch_alter_table("codebook_lookup", schema=None) as batch_op:
        batch_op.create_index(
            "ix_codebook_lookup_learner_attempt", ["learner_id", "attempt_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("codebook_lookup", schema=None) as batch_op:
        batch_op.drop_index("ix_codebook_lookup_learner_attempt")
    op.drop_table("codebook_lookup")
