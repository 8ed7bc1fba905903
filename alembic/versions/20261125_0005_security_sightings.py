"""Securities keep their listing date (上市日) and the first and last day the exchange's list showed them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 22:10:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('securities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('listed_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('first_seen', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('last_seen', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_securities_last_seen'), ['last_seen'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('securities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_securities_last_seen'))
        batch_op.drop_column('last_seen')
        batch_op.drop_column('first_seen')
        batch_op.drop_column('listed_on')
