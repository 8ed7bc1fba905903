"""The columnar copy of flows: branch_days by day, the index it reads one stored day through, and each
day's reports by what it fingerprints a day with.

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
    op.create_index('ix_reports_day_fingerprint', 'reports', ['trade_date', 'fetched_at', 'rec_count', 'total_shares'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_reports_day_fingerprint', table_name='reports')
    op.drop_index(op.f('ix_branch_days_trade_date'), table_name='branch_days')
