"""classroom: row-level security policies (PostgreSQL)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28

The policies that bind a student's login role to its own learner row, on every per-learner table
(learner, card, review_log, exam_attempt, exam_answer; a learner's settings live in its learner
row). They are schema objects, so they live here; they stay inert until `certprep classroom init`
creates the roles and turns row security on (the owner of the tables is never bound by them).
SQLite has no roles: nothing to do there.
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# name of the classroom's group roles (students, instructors), derived from the database name so
# two classrooms on one server never share a group: at most 61 characters.
ROLE_FUNCTION = """
CREATE OR REPLACE FUNCTION certprep_class_role(kind text) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN length(current_database()) <= 50 THEN current_database()
              ELSE left(current_database(), 41) || left(md5(current_database()), 9) END
         || '_' || kind
$$
"""

INSTRUCTOR_FUNCTION = """
CREATE OR REPLACE FUNCTION certprep_is_instructor() RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT EXISTS (
    SELECT 1 FROM pg_roles r
    WHERE r.rolname = certprep_class_role('instructor')
      AND pg_has_role(current_user, r.oid, 'MEMBER'))
$$
"""

LEARNER_FUNCTION = """
CREATE OR REPLACE FUNCTION certprep_learner_id() RETURNS integer
LANGUAGE sql STABLE AS $$
  SELECT id FROM learner WHERE name = current_user
$$
"""

OWN = "learner_id = (SELECT certprep_learner_id())"
OWN_ANSWER = (
    "attempt_id IN (SELECT a.id FROM exam_attempt a "
    "WHERE a.learner_id = (SELECT certprep_learner_id()))"
)
TABLES = {
    "learner": "name = current_user",
    "card": OWN,
    "review_log": OWN,
    "exam_attempt": OWN,
    "exam_answer": OWN_ANSWER,
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(ROLE_FUNCTION)
    op.execute(INSTRUCTOR_FUNCTION)
    op.execute(LEARNER_FUNCTION)
    for table, own in TABLES.items():
        # a learner reads and writes its own rows only; an instructor reads everyone's
        op.execute(
            f"CREATE POLICY certprep_own ON {table} FOR ALL USING ({own}) WITH CHECK ({own})"
        )
        op.execute(
            f"CREATE POLICY certprep_instructor_reads ON {table} FOR SELECT "
            "USING ((SELECT certprep_is_instructor()))"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
        op.execute(f"DROP POLICY IF EXISTS certprep_own ON {table}")
        op.execute(f"DROP POLICY IF EXISTS certprep_instructor_reads ON {table}")
    op.execute("DROP FUNCTION IF EXISTS certprep_learner_id()")
    op.execute("DROP FUNCTION IF EXISTS certprep_is_instructor()")
    op.execute("DROP FUNCTION IF EXISTS certprep_class_role(text)")
