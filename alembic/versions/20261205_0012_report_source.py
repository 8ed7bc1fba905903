"""Reports say where they came from: fetched from the site by the bot, or imported from a saved file (bsr import);
every report stored before is a fetched one.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 10:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: Union[str, Sequence[str], None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

SOURCES = ('fetched', 'imported')


def upgrade() -> None:
    # Plain ALTER TABLE, which SQLite and PostgreSQL both speak: a batch copy of reports would drop the old table,
    # and SQLite's DROP TABLE deletes its rows first, cascading to broker_trades. The CHECK goes inline with the
    # column (SQLite cannot add a constraint to a table afterwards), under the name the models give it.
    op.execute(
        "ALTER TABLE reports ADD COLUMN source VARCHAR(16) DEFAULT 'fetched' NOT NULL "
        f"CONSTRAINT ck_reports_report_source CHECK (source IN ({', '.join(repr(s) for s in SOURCES)}))"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE reports DROP CONSTRAINT ck_reports_report_source')
    # SQLite (3.35 and later) drops a column whose CHECK names only itself.
    op.execute('ALTER TABLE reports DROP COLUMN source')
