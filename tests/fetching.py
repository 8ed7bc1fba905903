"""Fixtures for running the daily job in tests: the solver `bsr fetch` would load, a fresh SQLite store,
and a runner of one job against the replica. The bot's and the reliability tests' conftests import them."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from bot.job import FetchJob, FetchOptions, FetchSummary
from bot.pacing import RetryPolicy
from bsr.settings import get_settings
from replica.captcha import random_text, render
from solver import Solver
from storage import AsyncStore, Report, Store

# Backoffs short enough for tests; the behaviour (wait, then try again) is the same as in production.
QUICK = RetryPolicy(
    transient_base_s=0.05,
    transient_cap_s=0.2,
    blocked_base_s=0.5,
    blocked_cap_s=1.0,
    throttled_base_s=0.05,
    throttled_cap_s=0.4,
    throttled_interval_s=0.05,
    slowest_interval_s=0.4,
    seed=1,
)


def assert_whole(report: Report) -> None:
    """A stored report is a whole download: records numbered 1..N without a gap (its buys and sells may differ, as
    those of real reports do)."""
    assert [trade.seq for trade in report.trades] == list(range(1, len(report.trades) + 1))


@pytest.fixture(scope="session")
def solver() -> Solver:
    """The model BSR_MODEL names, else the newest shipped one: the one `bsr fetch` loads; warmed up, so
    that no test's first answer is slower than the others (the minimum-delay tests count on it)."""
    loaded = Solver.load(get_settings().model or None)
    loaded.solve(render(random_text(random.Random(0)), random.Random(0)))
    return loaded


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'bsr.sqlite3'}") as opened:
        yield opened


@pytest.fixture
def fetch(replica, tmp_path: Path, solver: Solver, store: Store) -> Callable[..., Awaitable[FetchSummary]]:
    """Runs one job against the replica into `store`; keyword arguments override FetchOptions."""

    async def run(**changes: object) -> FetchSummary:
        defaults = dict(base_url=replica.base_url, evidence_dir=tmp_path / "evidence", rate=0, policy=QUICK)
        return await FetchJob(FetchOptions(**(defaults | changes)), solver, AsyncStore(store)).run()

    return run
