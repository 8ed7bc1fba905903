"""Fixtures of the bot's tests: the shipped solver, a fresh SQLite store, and a job runner."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.job import FetchJob, FetchOptions, FetchSummary
from bot.pacing import RetryPolicy
from solver import Solver
from storage import AsyncStore, Store

# Backoffs short enough for tests; the behaviour (wait, then try again) is the same as in production.
QUICK = RetryPolicy(transient_base_s=0.05, transient_cap_s=0.2, blocked_base_s=0.5, blocked_cap_s=1.0)


@pytest.fixture(scope="session")
def solver() -> Solver:
    return Solver.load()


@pytest.fixture
def store(tmp_path: Path):
    opened = Store.open(f"sqlite:///{tmp_path / 'bsr.sqlite3'}")
    yield opened
    opened.close()


@pytest.fixture
def fetch(replica, tmp_path: Path, solver: Solver, store: Store) -> Callable[..., Awaitable[FetchSummary]]:
    """Runs one job against the replica into `store`; keyword arguments override FetchOptions."""

    async def run(**changes: object) -> FetchSummary:
        defaults = dict(base_url=replica.base_url, evidence_dir=tmp_path / "evidence", rate=0, policy=QUICK)
        return await FetchJob(FetchOptions(**(defaults | changes)), solver, AsyncStore(store)).run()

    return run
