"""branch_days by day: the index the columnar copy of flows reads one stored day through.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 01:00:00

"""
from typing import Sequence, Union

from alembic import op

revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index(op.f('ix_branch_days_trade_date'), 'branch_days', ['trade_date'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_branch_days_trade_date'), table_name='branch_days')
