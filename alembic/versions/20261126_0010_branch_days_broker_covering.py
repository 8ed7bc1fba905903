"""branch_days by branch and day with every column a branch's questions read (a covering index), in place
of the index by branch and day alone, which made a lookup into the table per stock and day.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 04:30:00

"""
from typing import Sequence, Union

from alembic import op

revision: str = '0010'
down_revision: Union[str, Sequence[str], None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.drop_index('ix_branch_days_broker_id_trade_date', table_name='branch_days')
    op.create_index(
        'ix_branch_days_broker_covering',
        'branch_days',
        ['broker_id', 'trade_date', 'stock_code', 'broker_name', 'buy_shares', 'sell_shares', 'buy_cents',
         'sell_cents'],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index('ix_branch_days_broker_covering', table_name='branch_days')
    op.create_index('ix_branch_days_broker_id_trade_date', 'branch_days', ['broker_id', 'trade_date'], unique=False)
