"""Job runs carry a heartbeat, so a run whose process was killed can be told from one still running.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 16:40:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(), nullable=True))
    # The last sign of life known for earlier runs: their end, or their start for those never finished.
    op.execute("UPDATE job_runs SET heartbeat_at = COALESCE(finished_at, started_at)")
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.alter_column('heartbeat_at', existing_type=sa.DateTime(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.drop_column('heartbeat_at')
