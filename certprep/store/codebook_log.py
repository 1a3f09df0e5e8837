"""The code-book lookup log: each search a learner made, with the question it served.

Imported by store/tables.py so the table is on the metadata Alembic compares against.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from certprep.store.tables import UTCDateTime, table_of


class CodebookLookupRow(SQLModel, table=True):
    __tablename__ = "codebook_lookup"
    __table_args__ = (sa.Index("ix_codebook_lookup_learner_attempt", "learner_id", "attempt_id"),)
    id: int | None = Field(default=None, primary_key=True)
    learner_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("learner.id", ondelete="CASCADE"), nullable=False
        )
    )
    # the exam attempt and the question on screen when the learner looked up (None: home, CLI)
    attempt_id: int | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("exam_attempt.id", ondelete="CASCADE"), nullable=True
        ),
    )
    item_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(120), nullable=True))
    context: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    query: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    system: str | None = Field(default=None, sa_column=sa.Column(sa.String(8), nullable=True))
    results: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    elapsed_ms: float = Field(sa_column=sa.Column(sa.Float, nullable=False))  # the query's time
    # the learner's time in the book for this lookup: since the panel opened, the question
    # changed or the previous lookup (None: not measured, e.g. the CLI)
    spent_s: float | None = Field(default=None, sa_column=sa.Column(sa.Float, nullable=True))
    code: str | None = Field(default=None, sa_column=sa.Column(sa.String(16), nullable=True))
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))


CODEBOOK_LOOKUP = table_of(CodebookLookupRow)
