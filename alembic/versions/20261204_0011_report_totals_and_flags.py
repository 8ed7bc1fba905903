"""Reports keep both totals (a real report's buys and sells need not be equal) and the reasons they were stored
flagged, in place of the one flagged share difference; stock_days' volume becomes the view's 成交股數 where
stored, else the larger total (storage.stock_days.day_volume), refilled for the days stored before.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 14:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# The volume's rule is written once, in storage; the tables are named here as this revision knows them.
from storage.stock_days import fill_stock_days

revision: str = '0011'
down_revision: Union[str, Sequence[str], None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

STOCK_DAYS = sa.table(
    'stock_days',
    sa.column('trade_date', sa.Date()),
    sa.column('stock_code', sa.String()),
    sa.column('volume', sa.BigInteger()),
    sa.column('top_buy_shares', sa.BigInteger()),
    sa.column('top_sell_shares', sa.BigInteger()),
    sa.column('buying_branches', sa.Integer()),
    sa.column('selling_branches', sa.Integer()),
)
BRANCH_DAYS = sa.table(
    'branch_days',
    sa.column('stock_code', sa.String()),
    sa.column('trade_date', sa.Date()),
    sa.column('buy_shares', sa.BigInteger()),
    sa.column('sell_shares', sa.BigInteger()),
)
REPORTS = sa.table(
    'reports',
    sa.column('id', sa.Integer()),
    sa.column('trade_date', sa.Date()),
    sa.column('stock_code', sa.String()),
    sa.column('traded_shares', sa.BigInteger()),
    sa.column('total_buy_shares', sa.BigInteger()),
    sa.column('shares_mismatch', sa.BigInteger()),
    sa.column('flags', sa.JSON()),
)


def upgrade() -> None:
    # Plain ALTER TABLE, which SQLite (3.35 and later) and PostgreSQL both speak: a batch copy of reports would
    # drop the old table, and SQLite's DROP TABLE deletes its rows first, cascading to broker_trades.
    op.execute('ALTER TABLE reports RENAME COLUMN total_shares TO total_buy_shares')
    op.add_column('reports', sa.Column('total_sell_shares', sa.BigInteger(), server_default=sa.text('0'),
                                       nullable=False))
    op.add_column('reports', sa.Column('flags', sa.JSON(), server_default=sa.text("'[]'"), nullable=False))
    op.execute(
        'UPDATE reports SET total_sell_shares = COALESCE('
        '(SELECT SUM(sell_shares) FROM broker_trades WHERE broker_trades.report_id = reports.id), 0)'
    )
    connection = op.get_bind()
    flagged = connection.execute(
        sa.select(REPORTS.c.id, REPORTS.c.traded_shares, REPORTS.c.total_buy_shares)
        .where(REPORTS.c.shares_mismatch.is_not(None))
    ).all()
    for report_id, traded_shares, bought in flagged:
        reason = f"the view's 成交股數 {traded_shares:,} is not the buys {bought:,} (stored before both totals were kept)"
        connection.execute(sa.update(REPORTS).where(REPORTS.c.id == report_id).values(flags=[reason]))
    op.execute('ALTER TABLE reports DROP COLUMN shares_mismatch')
    refill_stock_days(with_reports=True)


def downgrade() -> None:
    op.add_column('reports', sa.Column('shares_mismatch', sa.BigInteger(), nullable=True))
    op.execute(
        "UPDATE reports SET shares_mismatch = traded_shares - total_buy_shares "
        "WHERE traded_shares IS NOT NULL AND traded_shares <> total_buy_shares"
    )
    op.execute('ALTER TABLE reports DROP COLUMN flags')
    op.execute('ALTER TABLE reports DROP COLUMN total_sell_shares')
    op.execute('ALTER TABLE reports RENAME COLUMN total_buy_shares TO total_shares')
    refill_stock_days(with_reports=False)


def refill_stock_days(with_reports: bool) -> None:
    op.execute(sa.delete(STOCK_DAYS))
    op.execute(fill_stock_days(STOCK_DAYS, BRANCH_DAYS, reports=REPORTS if with_reports else None))
