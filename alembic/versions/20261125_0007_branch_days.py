"""branch_days: each branch's trading in each stock per day, the records of a report summed per branch;
what flows aggregates over windows of days. Filled from the stored trades.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 21:40:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('branch_days',
    sa.Column('stock_code', sa.String(length=16), nullable=False),
    sa.Column('broker_id', sa.String(length=8), nullable=False),
    sa.Column('trade_date', sa.Date(), nullable=False),
    sa.Column('broker_name', sa.String(length=64), nullable=False),
    sa.Column('buy_shares', sa.BigInteger(), nullable=False),
    sa.Column('sell_shares', sa.BigInteger(), nullable=False),
    sa.Column('buy_cents', sa.Numeric(precision=30, scale=0), nullable=False),
    sa.Column('sell_cents', sa.Numeric(precision=30, scale=0), nullable=False),
    sa.PrimaryKeyConstraint('stock_code', 'broker_id', 'trade_date', name=op.f('pk_branch_days')),
    sqlite_with_rowid=False
    )
    op.execute(
        "INSERT INTO branch_days (stock_code, broker_id, trade_date, broker_name, buy_shares, sell_shares, "
        "buy_cents, sell_cents) "
        "SELECT r.stock_code, t.broker_id, r.trade_date, max(t.broker_name), sum(t.buy_shares), "
        "sum(t.sell_shares), sum(CAST(round(t.price * 100) AS BIGINT) * t.buy_shares), "
        "sum(CAST(round(t.price * 100) AS BIGINT) * t.sell_shares) "
        "FROM broker_trades t JOIN reports r ON r.id = t.report_id "
        "GROUP BY r.stock_code, t.broker_id, r.trade_date"
    )
    op.create_index('ix_branch_days_broker_id_trade_date', 'branch_days', ['broker_id', 'trade_date'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_branch_days_broker_id_trade_date', table_name='branch_days')
    op.drop_table('branch_days')
