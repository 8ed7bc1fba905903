"""A job run's missing securities say why as a reason's value and its detail ({"reason": "failed", "detail": the
last error}), in place of one sentence per security.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 10:00:00

"""
import re
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: Union[str, Sequence[str], None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

job_runs = sa.table('job_runs', sa.column('id', sa.Integer), sa.column('missing', sa.JSON))
# The sentences the job wrote before this revision, and the reasons they stand for.
STOPPED = 'not asked: the run was stopped'
NOT_ASKED = 'not asked: no run asked for it'
ROLLED_OVER = re.compile(r'not asked: the site serves (\d{4}-\d{2}-\d{2}) now')


def reason(sentence: str) -> dict[str, str]:
    if sentence == STOPPED:
        return {'reason': 'stopped', 'detail': ''}
    if sentence == NOT_ASKED:
        return {'reason': 'not asked', 'detail': ''}
    if match := ROLLED_OVER.fullmatch(sentence):
        return {'reason': 'rolled over', 'detail': match[1]}
    return {'reason': 'failed', 'detail': sentence}


def sentence(why: dict[str, str]) -> str:
    if why['reason'] == 'stopped':
        return STOPPED
    if why['reason'] == 'not asked':
        return NOT_ASKED
    if why['reason'] == 'rolled over':
        return f"not asked: the site serves {why['detail']} now"
    return why['detail']


def rewrite(convert) -> None:
    connection = op.get_bind()
    for run_id, missing in connection.execute(sa.select(job_runs.c.id, job_runs.c.missing)).all():
        if missing:
            stored = {code: convert(why) for code, why in missing.items()}
            connection.execute(job_runs.update().where(job_runs.c.id == run_id).values(missing=stored))


def upgrade() -> None:
    rewrite(lambda why: why if isinstance(why, dict) else reason(why))


def downgrade() -> None:
    rewrite(lambda why: sentence(why) if isinstance(why, dict) else why)
