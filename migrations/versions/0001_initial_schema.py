"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 14:32:42.764586
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

import certprep.store.tables  # noqa: F401


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('bank',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('origin', sa.String(length=16), nullable=False),
    sa.Column('checksum', sa.String(length=64), nullable=False),
    sa.Column('header', sa.JSON(), nullable=False),
    sa.Column('imported_at', certprep.store.tables.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank')),
    sa.UniqueConstraint('name', name=op.f('uq_bank_name'))
    )
    op.create_table('learner',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('created_at', certprep.store.tables.UTCDateTime(), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_learner')),
    sa.UniqueConstraint('name', name=op.f('uq_learner_name'))
    )
    op.create_table('case_text',
    sa.Column('id', sa.String(length=120), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['bank_id'], ['bank.id'], name=op.f('fk_case_text_bank_id_bank'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_text'))
    )
    with op.batch_alter_table('case_text', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_text_bank_id'), ['bank_id'], unique=False)

    op.create_table('exam_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('blueprint_key', sa.String(length=64), nullable=False),
    sa.Column('blueprint', sa.JSON(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('seed', sa.BigInteger(), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('started_at', certprep.store.tables.UTCDateTime(), nullable=False),
    sa.Column('time_limit_s', sa.Integer(), nullable=True),
    sa.Column('time_used_s', sa.Float(), server_default='0', nullable=False),
    sa.Column('last_seen_at', certprep.store.tables.UTCDateTime(), nullable=True),
    sa.Column('paused', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('position', sa.Integer(), server_default='0', nullable=False),
    sa.Column('submitted_at', certprep.store.tables.UTCDateTime(), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['learner_id'], ['learner.id'], name=op.f('fk_exam_attempt_learner_id_learner'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exam_attempt'))
    )
    with op.batch_alter_table('exam_attempt', schema=None) as batch_op:
        batch_op.create_index('ix_exam_attempt_learner_status', ['learner_id', 'status'], unique=False)

    op.create_table('item',
    sa.Column('id', sa.String(length=120), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('section', sa.String(length=64), nullable=False),
    sa.Column('case_id', sa.String(length=120), nullable=True),
    sa.Column('content_hash', sa.String(length=16), nullable=False),
    sa.Column('retired', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['bank_id'], ['bank.id'], name=op.f('fk_item_bank_id_bank'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item'))
    )
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.create_index('ix_item_bank_position', ['bank_id', 'position'], unique=False)

    op.create_table('card',
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.String(length=120), nullable=False),
    sa.Column('state', sa.Integer(), nullable=False),
    sa.Column('step', sa.Integer(), nullable=True),
    sa.Column('stability', sa.Float(), nullable=True),
    sa.Column('difficulty', sa.Float(), nullable=True),
    sa.Column('due', certprep.store.tables.UTCDateTime(), nullable=True),
    sa.Column('last_review', certprep.store.tables.UTCDateTime(), nullable=True),
    sa.Column('reps', sa.Integer(), server_default='0', nullable=False),
    sa.Column('lapses', sa.Integer(), server_default='0', nullable=False),
    sa.Column('suspended', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('buried_until', certprep.store.tables.UTCDateTime(), nullable=True),
    sa.Column('flagged', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('marked', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('leech', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('introduced_at', certprep.store.tables.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_card_item_id_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['learner_id'], ['learner.id'], name=op.f('fk_card_learner_id_learner'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('learner_id', 'item_id', name=op.f('pk_card'))
    )
    with op.batch_alter_table('card', schema=None) as batch_op:
        batch_op.create_index('ix_card_learner_due', ['learner_id', 'due'], unique=False)

    op.create_table('exam_answer',
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.String(length=120), nullable=False),
    sa.Column('section', sa.String(length=64), nullable=False),
    sa.Column('pretest', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('choice_order', sa.JSON(), nullable=False),
    sa.Column('response', sa.JSON(), nullable=False),
    sa.Column('struck', sa.JSON(), nullable=False),
    sa.Column('flagged', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('correct', sa.Boolean(), nullable=True),
    sa.Column('time_spent_s', sa.Float(), server_default='0', nullable=False),
    sa.Column('answered_at', certprep.store.tables.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['attempt_id'], ['exam_attempt.id'], name=op.f('fk_exam_answer_attempt_id_exam_attempt'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_exam_answer_item_id_item'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('attempt_id', 'position', name=op.f('pk_exam_answer'))
    )
    with op.batch_alter_table('exam_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exam_answer_item_id'), ['item_id'], unique=False)

    op.create_table('item_exam',
    sa.Column('item_id', sa.String(length=120), nullable=False),
    sa.Column('exam', sa.String(length=64), nullable=False),
    sa.Column('section', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_item_exam_item_id_item'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('item_id', 'exam', name=op.f('pk_item_exam'))
    )
    with op.batch_alter_table('item_exam', schema=None) as batch_op:
        batch_op.create_index('ix_item_exam_exam_section', ['exam', 'section'], unique=False)

    op.create_table('item_topic',
    sa.Column('item_id', sa.String(length=120), nullable=False),
    sa.Column('topic', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_item_topic_item_id_item'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('item_id', 'topic', name=op.f('pk_item_topic'))
    )
    with op.batch_alter_table('item_topic', schema=None) as batch_op:
        batch_op.create_index('ix_item_topic_topic', ['topic'], unique=False)

    op.create_table('review_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.String(length=120), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('reviewed_at', certprep.store.tables.UTCDateTime(), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('state_before', sa.Integer(), nullable=True),
    sa.Column('card_before', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_review_log_item_id_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['learner_id'], ['learner.id'], name=op.f('fk_review_log_learner_id_learner'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_log'))
    )
    with op.batch_alter_table('review_log', schema=None) as batch_op:
        batch_op.create_index('ix_review_log_item', ['item_id'], unique=False)
        batch_op.create_index('ix_review_log_learner_time', ['learner_id', 'reviewed_at'], unique=False)




def downgrade() -> None:
    
    with op.batch_alter_table('review_log', schema=None) as batch_op:
        batch_op.drop_index('ix_review_log_learner_time')
        batch_op.drop_index('ix_review_log_item')

    op.drop_table('review_log')
    with op.batch_alter_table('item_topic', schema=None) as batch_op:
        batch_op.drop_index('ix_item_topic_topic')

    op.drop_table('item_topic')
    with op.batch_alter_table('item_exam', schema=None) as batch_op:
        batch_op.drop_index('ix_item_exam_exam_section')

    op.drop_table('item_exam')
    with op.batch_alter_table('exam_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exam_answer_item_id'))

    op.drop_table('exam_answer')
    with op.batch_alter_table('card', schema=None) as batch_op:
        batch_op.drop_index('ix_card_learner_due')

    op.drop_table('card')
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.drop_index('ix_item_bank_position')

    op.drop_table('item')
    with op.batch_alter_table('exam_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_exam_attempt_learner_status')

    op.drop_table('exam_attempt')
    with op.batch_alter_table('case_text', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_text_bank_id'))

    op.drop_table('case_text')
    op.drop_table('learner')
    op.drop_table('bank')

