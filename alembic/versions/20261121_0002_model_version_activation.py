"""Model versions remember when they were activated and rolled back, so a rollback knows where to go.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 14:25:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('model_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('activated_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('rolled_back_at', sa.DateTime(), nullable=True))
    # The version active before this revision became active at some unknown time; its creation is the best guess.
    op.execute("UPDATE model_versions SET activated_at = created_at WHERE active")


def downgrade() -> None:
    with op.batch_alter_table('model_versions', schema=None) as batch_op:
        batch_op.drop_column('rolled_back_at')
        batch_op.drop_column('activated_at')
