"""SQLModel tables: the data model of ARCHITECTURE.md as rows.

Choices are stored inside the item's JSON ``payload`` rather than in a child table: an item is
always read whole, never queried by one of its choices, and one row per item keeps bulk imports
and the answer→next path to a single primary-key read.
Tables come from Alembic (migrations/), never from ``create_all`` in production code.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

# Constraint names that Alembic batch mode on SQLite can find again.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, whatever the backend keeps."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use UTC-aware datetimes")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _dt(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=sa.Column(UTCDateTime(), nullable=nullable, index=index))


class Learner(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=sa.Column(sa.String(80), nullable=False, unique=True))
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    settings: dict[str, Any] = Field(
        default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False)
    )


class BankRow(SQLModel, table=True):
    __tablename__ = "bank"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    version: str = Field(sa_column=sa.Column(sa.String(40), nullable=False))
    title: str | None = None
    source: str | None = None
    origin: str = Field(default="import", sa_column=sa.Column(sa.String(16), nullable=False))
    checksum: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    header: dict[str, Any] = Field(
        default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False)
    )
    imported_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))


class CaseRow(SQLModel, table=True):
    """A case scenario. ``id`` is the database's key; ``source_id`` the id its bank gave it
    (unique within the bank; two banks may both have a case "C1")."""

    __tablename__ = "case_text"
    __table_args__ = (sa.Index("uq_case_text_bank_source", "bank_id", "source_id", unique=True),)
    id: str = Field(sa_column=sa.Column(sa.String(120), primary_key=True))
    bank_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("bank.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    source_id: str = Field(sa_column=sa.Column(sa.String(120), nullable=False))
    title: str | None = None
    text: str = Field(sa_column=sa.Column(sa.Text, nullable=False))


class ItemRow(SQLModel, table=True):
    """One question. ``id`` is the database's key (what cards, reviews and answers point at, and
    the id shown); ``source_id`` the id the bank's author gave it, unique within the bank. They
    are equal unless another bank had the id first: then the key is qualified ("bank:Q1")."""

    __tablename__ = "item"
    __table_args__ = (
        sa.Index("uq_item_bank_source", "bank_id", "source_id", unique=True),
        # bank order: the review queue walks never-studied items from this index alone (no
        # ``retired`` here: SQLite would then scan it instead of ix_item_retired); the card
        # browser pages by it
        sa.Index("ix_item_queue", "bank_id", "position", "id"),
        # a form draw reads what it needs of each candidate here, not in the wide rows
        sa.Index("ix_item_draw", "id", "retired", "kind", "bank_id", "position", "case_id"),
        # the questions of each case: a drawn question brings its series in
        sa.Index(
            "ix_item_case",
            "case_id",
            sqlite_where=sa.text("case_id IS NOT NULL"),
            postgresql_where=sa.text("case_id IS NOT NULL"),
        ),
        # the few retired items: "live" is checked without reading the wide item rows
        sa.Index(
            "ix_item_retired",
            "id",
            sqlite_where=sa.text("retired = 1"),
            postgresql_where=sa.text("retired = true"),
        ),
    )
    id: str = Field(sa_column=sa.Column(sa.String(120), primary_key=True))
    bank_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("bank.id", ondelete="CASCADE"), nullable=False
        )
    )
    source_id: str = Field(sa_column=sa.Column(sa.String(120), nullable=False))
    position: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    kind: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    section: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    case_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(120), nullable=True))
    content_hash: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    retired: bool = Field(
        default=False, sa_column=sa.Column(sa.Boolean, nullable=False, server_default=sa.false())
    )
    payload: dict[str, Any] = Field(sa_column=sa.Column(sa.JSON, nullable=False))


class ItemExam(SQLModel, table=True):
    """Which exams an item fits, with its section: what exam assembly and due counts filter on."""

    __tablename__ = "item_exam"
    __table_args__ = (
        sa.Index("ix_item_exam_exam_section", "exam", "section"),
        # a form draw walks a section in rkey order from a seeded point; covers exam counts
        sa.Index("ix_item_exam_walk", "exam", "section", "rkey", "item_id"),
    )
    item_id: str = Field(
        sa_column=sa.Column(
            sa.String(120), sa.ForeignKey("item.id", ondelete="CASCADE"), primary_key=True
        )
    )
    exam: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    section: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    # a random key drawn by the database for each row written (the migration gives the column a
    # per-row random default in the database's dialect); never set by the code
    rkey: int | None = Field(default=None, sa_column=sa.Column(sa.Integer, nullable=False))


class ItemTopic(SQLModel, table=True):
    __tablename__ = "item_topic"
    __table_args__ = (sa.Index("ix_item_topic_topic", "topic"),)
    item_id: str = Field(
        sa_column=sa.Column(
            sa.String(120), sa.ForeignKey("item.id", ondelete="CASCADE"), primary_key=True
        )
    )
    topic: str = Field(sa_column=sa.Column(sa.String(80), primary_key=True))


class CardRow(SQLModel, table=True):
    """FSRS memory state of one item for one learner. A card with no row is new."""

    __tablename__ = "card"
    __table_args__ = (
        sa.Index("ix_card_learner_due", "learner_id", "due"),
        # every learner's card of one item (triggers of 0008_perf_denormalised, item removal)
        sa.Index("ix_card_item", "item_id"),
        # due counts, the review queue and home's counts per exam read this index only
        sa.Index(
            "ix_card_learner_state_due",
            "learner_id",
            "state",
            "due",
            "suspended",
            "buried_until",
            "item_id",
            "exams",  # home's counts per exam (kept by triggers: 0008_perf_denormalised)
        ),
    )
    learner_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("learner.id", ondelete="CASCADE"), primary_key=True
        )
    )
    item_id: str = Field(
        sa_column=sa.Column(
            sa.String(120), sa.ForeignKey("item.id", ondelete="CASCADE"), primary_key=True
        )
    )
    state: int = Field(
        sa_column=sa.Column(sa.Integer, nullable=False)
    )  # 0 new, 1 learning, 2 review, 3 relearning
    step: int | None = None
    stability: float | None = None
    difficulty: float | None = None
    due: datetime | None = _dt()
    last_review: datetime | None = _dt()
    reps: int = Field(
        default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0")
    )
    lapses: int = Field(
        default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0")
    )
    suspended: bool = Field(
        default=False, sa_column=sa.Column(sa.Boolean, nullable=False, server_default=sa.false())
    )
    buried_until: datetime | None = _dt()
    flagged: bool = Field(
        default=False, sa_column=sa.Column(sa.Boolean, nullable=False, server_default=sa.false())
    )
    marked: bool = Field(
        default=False, sa_column=sa.Column(sa.Boolean, nullable=False, server_default=sa.false())
    )
    leech: bool = Field(
        default=False, sa_column=sa.Column(sa.Boolean, nullable=False, server_default=sa.false())
    )
    introduced_at: datetime | None = _dt()
    # the item's exams, sorted, comma-separated: a copy kept by the database's triggers
    exams: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))


class ReviewLogRow(SQLModel, table=True):
    """Every rating ever given. Append-only, but for undo of the very last answer."""

    __tablename__ = "review_log"
    __table_args__ = (
        sa.Index("ix_review_log_learner_time", "learner_id", "reviewed_at"),
        sa.Index("ix_review_log_item", "item_id"),
        sa.Index("ix_review_log_learner_source_time", "learner_id", "source", "reviewed_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    learner_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("learner.id", ondelete="CASCADE"), nullable=False
        )
    )
    item_id: str = Field(
        sa_column=sa.Column(
            sa.String(120), sa.ForeignKey("item.id", ondelete="CASCADE"), nullable=False
        )
    )
    rating: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    reviewed_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    duration_ms: int | None = None
    source: str = Field(
        sa_column=sa.Column(sa.String(16), nullable=False)
    )  # review | exam | import
    state_before: int | None = None
    card_before: dict[str, Any] | None = Field(
        default=None, sa_column=sa.Column(sa.JSON, nullable=True)
    )


class ExamAttemptRow(SQLModel, table=True):
    __tablename__ = "exam_attempt"
    __table_args__ = (sa.Index("ix_exam_attempt_learner_status", "learner_id", "status"),)
    id: int | None = Field(default=None, primary_key=True)
    learner_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("learner.id", ondelete="CASCADE"), nullable=False
        )
    )
    blueprint_key: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    blueprint: dict[str, Any] = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    title: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    seed: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    mode: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))  # timed | untimed | tutor
    status: str = Field(
        sa_column=sa.Column(sa.String(16), nullable=False)
    )  # in_progress | submitted | abandoned
    started_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    time_limit_s: int | None = None
    time_used_s: float = Field(
        default=0.0, sa_column=sa.Column(sa.Float, nullable=False, server_default="0")
    )
    last_seen_at: datetime | None = _dt()
    paused: bool = Field(
        default=False, sa_column=sa.Column(sa.Boolean, nullable=False, server_default=sa.false())
    )
    position: int = Field(
        default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0")
    )
    submitted_at: datetime | None = _dt()
    result: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(sa.JSON, nullable=True))


class ExamAnswerRow(SQLModel, table=True):
    __tablename__ = "exam_answer"
    attempt_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("exam_attempt.id", ondelete="CASCADE"), primary_key=True
        )
    )
    position: int = Field(sa_column=sa.Column(sa.Integer, primary_key=True))
    item_id: str = Field(
        sa_column=sa.Column(
            sa.String(120), sa.ForeignKey("item.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    section: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    pretest: bool = Field(
        default=False, sa_column=sa.Column(sa.Boolean, nullable=False, server_default=sa.false())
    )
    choice_order: list[str] = Field(
        default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False)
    )
    response: list[str] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    struck: list[str] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    flagged: bool = Field(
        default=False, sa_column=sa.Column(sa.Boolean, nullable=False, server_default=sa.false())
    )
    correct: bool | None = None
    time_spent_s: float = Field(
        default=0.0, sa_column=sa.Column(sa.Float, nullable=False, server_default="0")
    )
    answered_at: datetime | None = _dt()


class UnseenHint(SQLModel, table=True):
    """Per learner and bank, a position before which every item has a studied card: the review
    queue's walk for never-studied items starts there (kept by ``services.review.unseen``,
    cleared by triggers: migration 0008_perf_denormalised)."""

    __tablename__ = "unseen_hint"
    bank_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("bank.id", ondelete="CASCADE"), primary_key=True
        )
    )
    learner_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("learner.id", ondelete="CASCADE"), primary_key=True
        )
    )
    position: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))


class ItemCount(SQLModel, table=True):
    """Items (scope ``*``) and item_exam rows per exam (scope = exam), retired ones included:
    counters kept by the database's triggers (migration 0008_perf_denormalised)."""

    __tablename__ = "item_count"
    scope: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    total: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))


def table_of(model: type[SQLModel]) -> sa.Table:
    """The Core table behind a SQLModel class, for bulk statements."""
    tbl = model.__table__  # type: ignore[attr-defined]
    assert isinstance(tbl, sa.Table)
    return tbl


LEARNER = table_of(Learner)
BANK = table_of(BankRow)
CASE = table_of(CaseRow)
ITEM = table_of(ItemRow)
ITEM_EXAM = table_of(ItemExam)
ITEM_TOPIC = table_of(ItemTopic)
CARD = table_of(CardRow)
REVIEW_LOG = table_of(ReviewLogRow)
EXAM_ATTEMPT = table_of(ExamAttemptRow)
EXAM_ANSWER = table_of(ExamAnswerRow)
UNSEEN_HINT = table_of(UnseenHint)
ITEM_COUNT = table_of(ItemCount)

# the code-book lookup log lives in its own module; importing it puts it on the metadata
from certprep.store import codebook_log as _codebook_log  # noqa: E402, F401
