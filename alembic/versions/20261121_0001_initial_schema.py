"""Initial schema: securities, job runs, reports and their broker trades, solve attempts, model versions.

Revision ID: 0001
Revises: 
Create Date: 2026-11-21 13:40:37.044375

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0001'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('job_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trade_date', sa.Date(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('status', sa.Enum('running', 'succeeded', 'failed', 'interrupted', 'no_trading', name='job_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_runs'))
    )
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_runs_trade_date'), ['trade_date'], unique=False)

    op.create_table('model_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('path', sa.String(length=1024), nullable=False),
    sa.Column('metrics', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_versions')),
    sa.UniqueConstraint('name', name=op.f('uq_model_versions_name'))
    )
    with op.batch_alter_table('model_versions', schema=None) as batch_op:
        batch_op.create_index('uq_model_versions_one_active', ['active'], unique=True, sqlite_where=sa.text('active'), postgresql_where=sa.text('active'))

    op.create_table('reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trade_date', sa.Date(), nullable=False),
    sa.Column('stock_code', sa.String(length=16), nullable=False),
    sa.Column('rec_count', sa.Integer(), nullable=False),
    sa.Column('total_shares', sa.BigInteger(), nullable=False),
    sa.Column('total_value', sa.Numeric(precision=20, scale=2), nullable=False),
    sa.Column('no_trades', sa.Boolean(), nullable=False),
    sa.Column('fetched_at', sa.DateTime(), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('raw_csv_zlib', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reports')),
    sa.UniqueConstraint('trade_date', 'stock_code', name=op.f('uq_reports_trade_date_stock_code'))
    )
    op.create_table('securities',
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_securities'))
    )
    op.create_table('broker_trades',
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('broker_id', sa.String(length=8), nullable=False),
    sa.Column('broker_name', sa.String(length=64), nullable=False),
    sa.Column('price', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('buy_shares', sa.BigInteger(), nullable=False),
    sa.Column('sell_shares', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_broker_trades_report_id_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('report_id', 'seq', name=op.f('pk_broker_trades'))
    )
    with op.batch_alter_table('broker_trades', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_broker_trades_broker_id'), ['broker_id'], unique=False)

    op.create_table('solve_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('attempted_at', sa.DateTime(), nullable=False),
    sa.Column('job_run_id', sa.Integer(), nullable=True),
    sa.Column('stock_code', sa.String(length=16), nullable=False),
    sa.Column('image', sa.LargeBinary(), nullable=False),
    sa.Column('image_sha256', sa.String(length=64), nullable=False),
    sa.Column('model_version', sa.String(length=64), nullable=False),
    sa.Column('guess', sa.String(length=16), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=False),
    sa.Column('latency_ms', sa.Float(), nullable=False),
    sa.Column('outcome', sa.Enum('accepted', 'rejected', 'expired', 'error', name='attempt_outcome', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('label', sa.String(length=16), nullable=True),
    sa.Column('label_source', sa.Enum('site', 'human', 'none', name='label_source', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('labelled_at', sa.DateTime(), nullable=True),
    sa.Column('unreadable', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['job_run_id'], ['job_runs.id'], name=op.f('fk_solve_attempts_job_run_id_job_runs'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_solve_attempts'))
    )
    with op.batch_alter_table('solve_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_solve_attempts_attempted_at'), ['attempted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_solve_attempts_image_sha256'), ['image_sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_solve_attempts_job_run_id'), ['job_run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_solve_attempts_model_version'), ['model_version'], unique=False)
        batch_op.create_index('ix_solve_attempts_queue', ['outcome', 'label_source', 'unreadable'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('solve_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_solve_attempts_queue')
        batch_op.drop_index(batch_op.f('ix_solve_attempts_model_version'))
        batch_op.drop_index(batch_op.f('ix_solve_attempts_job_run_id'))
        batch_op.drop_index(batch_op.f('ix_solve_attempts_image_sha256'))
        batch_op.drop_index(batch_op.f('ix_solve_attempts_attempted_at'))

    op.drop_table('solve_attempts')
    with op.batch_alter_table('broker_trades', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_broker_trades_broker_id'))

    op.drop_table('broker_trades')
    op.drop_table('securities')
    op.drop_table('reports')
    with op.batch_alter_table('model_versions', schema=None) as batch_op:
        batch_op.drop_index('uq_model_versions_one_active', sqlite_where=sa.text('active'), postgresql_where=sa.text('active'))

    op.drop_table('model_versions')
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_runs_trade_date'))

    op.drop_table('job_runs')
