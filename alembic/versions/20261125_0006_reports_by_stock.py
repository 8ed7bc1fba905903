"""Reports are found by stock and day: flows asks for one stock over a window of trading days.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 21:30:00

"""
from typing import Sequence, Union

from alembic import op

revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index('ix_reports_stock_code_trade_date', 'reports', ['stock_code', 'trade_date'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_reports_stock_code_trade_date', table_name='reports')
