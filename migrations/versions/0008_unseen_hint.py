"""where each learner's never-studied items start, per bank (issue 22: session start)

Revision ID: 0008_unseen_hint
Revises: 0005_perf_indexes
Create Date: 2026-11-28

A review session's new cards are the first never-studied items in bank order. Learners work
through a bank from its start, so the walk for them passed every studied item first (60,000
index probes at 100k items: most of a session start). ``unseen_hint`` (learner, bank, position)
says that every item of the bank before ``position`` has a card of this learner that is not a
fresh new card (state new without a due time): the walk starts there.

The hint is only ever a lower bound. The review queue raises it inside a writing transaction,
from the cards that transaction reads; the database deletes it (walk from the bank's start)
whenever a write could make an item before it unseen again, through every write path:
- a card deleted (reset, undo of a first rating, bank removal): that learner's hints;
- a card set back to new without a due time: that learner's hints;
- an item inserted into a bank (import) or moved within or between banks: those banks' hints.
On PostgreSQL the trigger functions run as their owner (SECURITY DEFINER), so a student's write
also clears what row security hides from the student; the table has the per-learner policies
of 0004 (a learner's own rows; instructors read).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_unseen_hint"
down_revision = "0005_perf_indexes"
branch_labels = None
depends_on = None

FRESH = "{r}.state = 0 AND {r}.due IS NULL"
BY_LEARNER = "DELETE FROM unseen_hint WHERE learner_id = {r}.learner_id"

SQLITE = {
    "tr_card_deleted_unseen": f"AFTER DELETE ON card BEGIN {BY_LEARNER.format(r='OLD')}; END",
    "tr_card_reset_unseen": (
        "AFTER UPDATE OF state, due ON card "
        f"WHEN {FRESH.format(r='NEW')} AND NOT ({FRESH.format(r='OLD')}) "
        f"BEGIN {BY_LEARNER.format(r='NEW')}; END"
    ),
    "tr_item_added_unseen": (
        "AFTER INSERT ON item BEGIN DELETE FROM unseen_hint WHERE bank_id = NEW.bank_id; END"
    ),
    "tr_item_moved_unseen": (
        "AFTER UPDATE OF bank_id, position ON item "
        "BEGIN DELETE FROM unseen_hint WHERE bank_id IN (OLD.bank_id, NEW.bank_id); END"
    ),
}

PG_FUNCTIONS = {
    "certprep_unseen_card_deleted": BY_LEARNER.format(r="OLD"),
    "certprep_unseen_card_reset": BY_LEARNER.format(r="NEW"),
    # statement level: the banks of the rows the statement inserted or moved
    "certprep_unseen_items_added": (
        "DELETE FROM unseen_hint WHERE bank_id IN (SELECT bank_id FROM added)"
    ),
    "certprep_unseen_items_moved": (
        "DELETE FROM unseen_hint WHERE bank_id IN (SELECT b FROM moved_from o JOIN moved_to n "
        "ON n.id = o.id, LATERAL (VALUES (o.bank_id), (n.bank_id)) AS v(b) "
        "WHERE (o.bank_id, o.position) IS DISTINCT FROM (n.bank_id, n.position))"
    ),
}
PG_TRIGGERS = {
    "tr_card_deleted_unseen": (
        "card",
        "AFTER DELETE ON card FOR EACH ROW EXECUTE FUNCTION certprep_unseen_card_deleted()",
    ),
    "tr_card_reset_unseen": (
        "card",
        "AFTER UPDATE OF state, due ON card FOR EACH ROW "
        f"WHEN ({FRESH.format(r='NEW')} AND NOT ({FRESH.format(r='OLD')})) "
        "EXECUTE FUNCTION certprep_unseen_card_reset()",
    ),
    # once per statement (a bulk import fires it once per batch, not per item)
    "tr_item_added_unseen": (
        "item",
        "AFTER INSERT ON item REFERENCING NEW TABLE AS added FOR EACH STATEMENT "
        "EXECUTE FUNCTION certprep_unseen_items_added()",
    ),
    "tr_item_moved_unseen": (
        "item",
        "AFTER UPDATE ON item REFERENCING OLD TABLE AS moved_from NEW TABLE AS moved_to "
        "FOR EACH STATEMENT EXECUTE FUNCTION certprep_unseen_items_moved()",
    ),
}
OWN = "learner_id = (SELECT certprep_learner_id())"


def upgrade() -> None:
    op.create_table(
        "unseen_hint",
        sa.Column("bank_id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bank_id"], ["bank.id"], name="fk_unseen_hint_bank_id_bank", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["learner.id"],
            name="fk_unseen_hint_learner_id_learner",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("bank_id", "learner_id", name="pk_unseen_hint"),
    )
    if op.get_bind().dialect.name == "postgresql":
        for name, body in PG_FUNCTIONS.items():
            op.execute(
                f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql "
                f"SECURITY DEFINER SET search_path FROM CURRENT AS $$ BEGIN {body}; "
                "RETURN NULL; END $$"
            )
        for name, (_table, body) in PG_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
        op.execute(
            f"CREATE POLICY certprep_own ON unseen_hint FOR ALL USING ({OWN}) WITH CHECK ({OWN})"
        )
        op.execute(
            "CREATE POLICY certprep_instructor_reads ON unseen_hint FOR SELECT "
            "USING ((SELECT certprep_is_instructor()))"
        )
    else:
        for name, body in SQLITE.items():
            op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name, (table, _body) in PG_TRIGGERS.items():
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if postgresql else ""))
    if postgresql:
        for name in PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.drop_table("unseen_hint")
