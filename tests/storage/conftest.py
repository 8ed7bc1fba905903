"""Fixtures of the storage tests: a fresh database for each test, SQLite always and PostgreSQL when
BSR_TEST_PG_URL names one (each test gets a schema of its own there, dropped afterwards)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from storage import Attempt, AttemptOutcome, Store
from storage.engine import parse_url

PG_URL = os.environ.get("BSR_TEST_PG_URL", "")
TRADE_DATE = date(2026, 11, 20)


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.skipif(not PG_URL, reason="BSR_TEST_PG_URL is not set")),
    ]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'bsr.sqlite3'}"
        return
    base = parse_url(PG_URL)
    schema = f"bsr_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        url = base.update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    with Store.open(database_url) as opened:
        yield opened


@pytest.fixture
def make_attempt() -> Callable[..., Attempt]:
    """Builds an Attempt; keyword arguments override the defaults."""
    return _attempt


def _attempt(
    outcome: AttemptOutcome = AttemptOutcome.REJECTED,
    *,
    guess: str = "ACDEF",
    stock_code: str = "2330",
    job_run_id: int | None = None,
    model_version: str = "v1",
    latency_ms: float = 20.0,
    attempted_at: datetime = datetime(2026, 11, 20, 8, 30, tzinfo=UTC),
    image: bytes = b"\xff\xd8jpeg",
) -> Attempt:
    return Attempt(
        attempted_at=attempted_at,
        job_run_id=job_run_id,
        stock_code=stock_code,
        image=image,
        model_version=model_version,
        guess=guess,
        confidence=0.9,
        latency_ms=latency_ms,
        outcome=outcome,
    )
