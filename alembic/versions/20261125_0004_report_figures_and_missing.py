"""Reports keep the report view's figures (date, 成交筆數/金額/股數, prices) and a flagged share difference;
job runs keep the securities they did not store, and why.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 21:40:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

PRICE_COLUMNS = ('open_price', 'high_price', 'low_price', 'close_price')


def upgrade() -> None:
    with op.batch_alter_table('reports', schema=None) as batch_op:
        for name in ('trade_count', 'turnover', 'traded_shares'):
            batch_op.add_column(sa.Column(name, sa.BigInteger(), nullable=True))
        for name in PRICE_COLUMNS:
            batch_op.add_column(sa.Column(name, sa.Numeric(precision=12, scale=2), nullable=True))
        batch_op.add_column(sa.Column('shares_mismatch', sa.BigInteger(), nullable=True))
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('missing', sa.JSON(), server_default=sa.text("'{}'"), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.drop_column('missing')
    with op.batch_alter_table('reports', schema=None) as batch_op:
        for name in ('shares_mismatch', *reversed(PRICE_COLUMNS), 'traded_shares', 'turnover', 'trade_count'):
            batch_op.drop_column(name)
