"""Alerts: every message sent, or to be sent, to each notification URL (BSR_NOTIFY_URLS), delivered or not, with
the last error; the next run retries the undelivered ones.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 10:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: Union[str, Sequence[str], None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('kind', sa.Enum('test', 'digest', 'missing', 'watch', name='alert_kind', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('trade_date', sa.Date(), nullable=True),
    sa.Column('title', sa.String(length=256), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('target', sa.String(length=512), nullable=False),
    sa.Column('delivered', sa.Boolean(), nullable=False),
    sa.Column('tries', sa.Integer(), nullable=False),
    sa.Column('last_tried_at', sa.DateTime(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts'))
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alerts_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_alerts_pending', ['delivered', 'target'], unique=False)


def downgrade() -> None:
    op.drop_table('alerts')
