"""stock_days: each stock's figures of each stored day under the concentration's rule (volume, the top net
buyers' and sellers' shares, branches each way), filled from branch_days for the days stored before it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 04:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# The rule is written once, in storage; a change to it comes with a migration of its own that refills the
# table. The tables are named here as this revision knows them, not imported from the models.
from storage.stock_days import fill_stock_days

revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    stock_days = op.create_table('stock_days',
    sa.Column('stock_code', sa.String(length=16), nullable=False),
    sa.Column('trade_date', sa.Date(), nullable=False),
    sa.Column('volume', sa.BigInteger(), nullable=False),
    sa.Column('top_buy_shares', sa.BigInteger(), nullable=False),
    sa.Column('top_sell_shares', sa.BigInteger(), nullable=False),
    sa.Column('buying_branches', sa.Integer(), nullable=False),
    sa.Column('selling_branches', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('stock_code', 'trade_date', name=op.f('pk_stock_days')),
    sqlite_with_rowid=False
    )
    branch_days = sa.table(
        'branch_days',
        sa.column('stock_code', sa.String()),
        sa.column('trade_date', sa.Date()),
        sa.column('buy_shares', sa.BigInteger()),
        sa.column('sell_shares', sa.BigInteger()),
    )
    op.execute(fill_stock_days(stock_days, branch_days))


def downgrade() -> None:
    op.drop_table('stock_days')
