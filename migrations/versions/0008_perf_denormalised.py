"""denormalised data for the paths a learner waits on (issue 22), kept by triggers

Revision ID: 0008_perf_denormalised
Revises: 0005_perf_indexes
Create Date: 2026-11-28

Three copies of data the database already holds, each kept right by triggers on SQLite and
PostgreSQL, so every write path (answers, undo, suspend, bury, reset, imports, retiring,
removing a bank, any SQL) keeps them without the code having to:

- ``unseen_hint`` (learner, bank, position): every item of the bank before ``position`` has a
  card of this learner that is not a fresh new card (state new without a due time), so the
  review queue's walk for never-studied items starts there instead of passing every studied
  item (60,000 index probes at 100k items). A lower bound only: the queue raises it in a
  writing transaction; triggers delete it whenever a write could make an earlier item unseen
  again (a card deleted or set back to new without a due time; an item inserted or moved).
- ``card.exams``: the exams of the card's item, sorted and comma-separated, so home counts a
  learner's cards per exam from the card index without a probe into
  ``item_exam`` per card. Set when a card is inserted and whenever the item's exams change.
  ``ix_card_learner_state_due`` carries it at its end (home's counts read that index alone);
  ``ix_card_learner_state``, a prefix of it, goes (one index fewer to write per answer).
- ``item_count`` (scope, total): the number of items (scope ``*``) and of ``item_exam`` rows
  per exam (scope = the exam), retired ones included (the few retired are subtracted from
  their partial index when read), so home does not count 100,000 index entries.

Indexes: ``ix_item_draw`` (id, retired, kind, bank, position, case) lets a form draw read its
candidates without the wide item rows; ``ix_item_bank_position`` goes (a prefix of
``ix_item_queue``).

On PostgreSQL the trigger functions run as their owner (SECURITY DEFINER): a student's write
also keeps what row security hides from the student; ``unseen_hint`` has 0004's per-learner
policies. Item and link-table triggers there run once per statement (a bulk import's batch).
SQLite has no statement-level triggers, and per-row ones on item and item_exam inserts cost
about 15 µs an item on a bulk import: there the importer (``banks.item_writes.sync_copies``, the
one writer of new items) does what the insert triggers do, once per bank imported. Deletes and
updates (bank removal, moves, plain SQL) have their triggers on both.
A later SQLite batch migration that rebuilds ``card``, ``item`` or ``item_exam`` drops their
triggers and must create them again (``tests/test_perf_denormalised.py`` checks they exist).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_perf_denormalised"
down_revision = "0006_bank_scoped_ids"
branch_labels = None
depends_on = None

FRESH = "{r}.state = 0 AND {r}.due IS NULL"
HINTS_OF_LEARNER = "DELETE FROM unseen_hint WHERE learner_id = {r}.learner_id"
# the exams of one item, as card.exams holds them
SQLITE_EXAMS = (
    "(SELECT group_concat(exam, ',') FROM "
    "(SELECT exam FROM item_exam WHERE item_id = {item} ORDER BY exam))"
)
SQLITE_CARDS_OF = "UPDATE card SET exams = " + SQLITE_EXAMS + " WHERE item_id = {item}"
COUNT_UP = (
    "INSERT INTO item_count (scope, total) VALUES ({scope}, 1) "
    "ON CONFLICT (scope) DO UPDATE SET total = total + 1"
)
COUNT_DOWN = "UPDATE item_count SET total = total - 1 WHERE scope = {scope}"

SQLITE = {
    "tr_card_deleted_unseen": (
        f"AFTER DELETE ON card BEGIN {HINTS_OF_LEARNER.format(r='OLD')}; END"
    ),
    "tr_card_reset_unseen": (
        "AFTER UPDATE OF state, due ON card "
        f"WHEN {FRESH.format(r='NEW')} AND NOT ({FRESH.format(r='OLD')}) "
        f"BEGIN {HINTS_OF_LEARNER.format(r='NEW')}; END"
    ),
    "tr_card_exams": (
        "AFTER INSERT ON card BEGIN UPDATE card SET exams = "
        + SQLITE_EXAMS.format(item="NEW.item_id")
        + " WHERE learner_id = NEW.learner_id AND item_id = NEW.item_id; END"
    ),
    "tr_item_removed": f"AFTER DELETE ON item BEGIN {COUNT_DOWN.format(scope=repr('*'))}; END",
    "tr_item_moved_unseen": (
        "AFTER UPDATE OF bank_id, position ON item "
        "BEGIN DELETE FROM unseen_hint WHERE bank_id IN (OLD.bank_id, NEW.bank_id); END"
    ),
    "tr_item_exam_removed": (
        f"AFTER DELETE ON item_exam BEGIN {COUNT_DOWN.format(scope='OLD.exam')}; "
        f"{SQLITE_CARDS_OF.format(item='OLD.item_id')}; END"
    ),
    "tr_item_exam_changed": (
        "AFTER UPDATE OF item_id, exam ON item_exam "
        f"BEGIN {COUNT_DOWN.format(scope='OLD.exam')}; {COUNT_UP.format(scope='NEW.exam')}; "
        f"{SQLITE_CARDS_OF.format(item='OLD.item_id')}; "
        f"{SQLITE_CARDS_OF.format(item='NEW.item_id')}; END"
    ),
}

PG_EXAMS = "(SELECT string_agg(e.exam, ',' ORDER BY e.exam) FROM item_exam e WHERE e.item_id = {item})"
PG_CARDS_OF = (
    "UPDATE card c SET exams = " + PG_EXAMS.format(item="c.item_id") + " "
    "WHERE c.item_id IN (SELECT item_id FROM {rows})"
)
PG_COUNT = (
    "INSERT INTO item_count (scope, total) SELECT {scope}, {sign} count(*) FROM {rows} "
    "GROUP BY 1 ON CONFLICT (scope) DO UPDATE SET total = item_count.total + EXCLUDED.total"
)
PG_FUNCTIONS = {
    "certprep_card_deleted": HINTS_OF_LEARNER.format(r="OLD"),
    "certprep_card_reset": HINTS_OF_LEARNER.format(r="NEW"),
    "certprep_items_added": (
        "DELETE FROM unseen_hint WHERE bank_id IN (SELECT bank_id FROM added); "
        + PG_COUNT.format(scope="'*'", sign="", rows="added")
    ),
    "certprep_items_removed": PG_COUNT.format(scope="'*'", sign="-", rows="removed"),
    "certprep_items_moved": (
        "DELETE FROM unseen_hint WHERE bank_id IN (SELECT b FROM moved_from o JOIN moved_to n "
        "ON n.id = o.id, LATERAL (VALUES (o.bank_id), (n.bank_id)) AS v(b) "
        "WHERE (o.bank_id, o.position) IS DISTINCT FROM (n.bank_id, n.position))"
    ),
    "certprep_item_exams_added": (
        PG_COUNT.format(scope="exam", sign="", rows="added")
        + "; "
        + PG_CARDS_OF.format(rows="added")
    ),
    "certprep_item_exams_removed": (
        PG_COUNT.format(scope="exam", sign="-", rows="removed")
        + "; "
        + PG_CARDS_OF.format(rows="removed")
    ),
    "certprep_item_exams_changed": (
        PG_COUNT.format(scope="exam", sign="-", rows="moved_from")
        + "; "
        + PG_COUNT.format(scope="exam", sign="", rows="moved_to")
        + "; "
        + PG_CARDS_OF.format(rows="(SELECT item_id FROM moved_from UNION SELECT item_id FROM moved_to) AS u")
    ),
}
PG_TRIGGERS = {
    "tr_card_deleted_unseen": (
        "card",
        "AFTER DELETE ON card FOR EACH ROW EXECUTE FUNCTION certprep_card_deleted()",
    ),
    "tr_card_reset_unseen": (
        "card",
        "AFTER UPDATE OF state, due ON card FOR EACH ROW "
        f"WHEN ({FRESH.format(r='NEW')} AND NOT ({FRESH.format(r='OLD')})) "
        "EXECUTE FUNCTION certprep_card_reset()",
    ),
    "tr_card_exams": (
        "card",
        "BEFORE INSERT ON card FOR EACH ROW EXECUTE FUNCTION certprep_card_exams()",
    ),
    "tr_item_added": (
        "item",
        "AFTER INSERT ON item REFERENCING NEW TABLE AS added FOR EACH STATEMENT "
        "EXECUTE FUNCTION certprep_items_added()",
    ),
    "tr_item_removed": (
        "item",
        "AFTER DELETE ON item REFERENCING OLD TABLE AS removed FOR EACH STATEMENT "
        "EXECUTE FUNCTION certprep_items_removed()",
    ),
    "tr_item_moved_unseen": (
        "item",
        "AFTER UPDATE ON item REFERENCING OLD TABLE AS moved_from NEW TABLE AS moved_to "
        "FOR EACH STATEMENT EXECUTE FUNCTION certprep_items_moved()",
    ),
    "tr_item_exam_added": (
        "item_exam",
        "AFTER INSERT ON item_exam REFERENCING NEW TABLE AS added FOR EACH STATEMENT "
        "EXECUTE FUNCTION certprep_item_exams_added()",
    ),
    "tr_item_exam_removed": (
        "item_exam",
        "AFTER DELETE ON item_exam REFERENCING OLD TABLE AS removed FOR EACH STATEMENT "
        "EXECUTE FUNCTION certprep_item_exams_removed()",
    ),
    "tr_item_exam_changed": (
        "item_exam",
        "AFTER UPDATE ON item_exam REFERENCING OLD TABLE AS moved_from NEW TABLE AS moved_to "
        "FOR EACH STATEMENT EXECUTE FUNCTION certprep_item_exams_changed()",
    ),
}
OWN = "learner_id = (SELECT certprep_learner_id())"
DRAW_INDEX = ["id", "retired", "kind", "bank_id", "position", "case_id"]
QUEUE_INDEX = ["learner_id", "state", "due", "suspended", "buried_until", "item_id"]


def _pg_function(name: str, body: str) -> str:
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER "
        f"SET search_path FROM CURRENT AS $$ BEGIN {body}; RETURN NULL; END $$"
    )


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
    op.create_table(
        "item_count",
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("scope", name="pk_item_count"),
    )
    op.add_column("card", sa.Column("exams", sa.Text(), nullable=True))
    postgresql = op.get_bind().dialect.name == "postgresql"
    # what the triggers keep from now on, for the rows already there
    op.execute("INSERT INTO item_count (scope, total) SELECT '*', count(*) FROM item")
    op.execute(
        "INSERT INTO item_count (scope, total) SELECT exam, count(*) FROM item_exam GROUP BY exam"
    )
    op.execute(
        "UPDATE card SET exams = "
        + (PG_EXAMS.format(item="card.item_id") if postgresql else SQLITE_EXAMS.format(item="card.item_id"))
    )
    # the queue's index also carries the exams (home counts per exam read it alone); the
    # (learner, state) index is its prefix: one index fewer to write on every answer
    op.drop_index("ix_card_learner_state_due", table_name="card")
    op.drop_index("ix_card_learner_state", table_name="card")
    op.create_index("ix_card_learner_state_due", "card", [*QUEUE_INDEX, "exams"], unique=False)
    # the cards of one item (every learner's): the link-table triggers find them here, and a
    # removed item's cards are found by it (written once per card: item_id never changes)
    op.create_index("ix_card_item", "card", ["item_id"], unique=False)
    # a form draw reads each candidate's kind, bank, position and case from an index, not from
    # the wide item rows; (bank, position) is a prefix of ix_item_queue
    op.create_index("ix_item_draw", "item", DRAW_INDEX, unique=False)
    op.drop_index("ix_item_bank_position", table_name="item")
    if postgresql:
        for name, body in PG_FUNCTIONS.items():
            op.execute(_pg_function(name, body))
        op.execute(
            "CREATE OR REPLACE FUNCTION certprep_card_exams() RETURNS trigger LANGUAGE plpgsql "
            "SECURITY DEFINER SET search_path FROM CURRENT AS $$ BEGIN NEW.exams := "
            + PG_EXAMS.format(item="NEW.item_id")
            + "; RETURN NEW; END $$"
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
        for name in [*PG_FUNCTIONS, "certprep_card_exams"]:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.drop_index("ix_card_item", table_name="card")
    op.create_index("ix_item_bank_position", "item", ["bank_id", "position"], unique=False)
    op.drop_index("ix_item_draw", table_name="item")
    op.drop_index("ix_card_learner_state_due", table_name="card")
    op.create_index("ix_card_learner_state_due", "card", QUEUE_INDEX, unique=False)
    op.create_index("ix_card_learner_state", "card", ["learner_id", "state"], unique=False)
    with op.batch_alter_table("card", schema=None) as batch_op:
        batch_op.drop_column("exams")
    op.drop_table("item_count")
    op.drop_table("unseen_hint")
