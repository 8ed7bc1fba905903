"""Fixtures of the storage tests: a fresh database for each test, SQLite always and PostgreSQL when
BSR_TEST_PG_URL names one (each test gets a schema of its own there, dropped afterwards)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from storage import Attempt, AttemptOutcome, Store


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
