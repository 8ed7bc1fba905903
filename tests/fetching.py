"""Fixtures for running the daily job in tests: the solver `bsr fetch` would load, a fresh SQLite store,
and a runner of one job against the replica. The bot's and the reliability tests' conftests import them."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Iterator
from datetime import date
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


# The real CSVs the live site gave on 2026-07-29 (../shared/data/live-csv-2026-07), counted from the files with
# awk, independently of the parser: records, shares bought, shares sold.
LIVE_DAY = date(2026, 7, 29)
REAL_CSV_FIGURES = {
    "0050": (68_407, 546_282_926, 546_282_926),
    "2308": (17_546, 22_142_447, 22_142_407),
    "2317": (17_044, 83_675_463, 83_675_463),
    "2330": (15_695, 65_899_161, 65_899_191),
    "2454": (26_983, 16_174_122, 16_174_115),
    "2603": (4_260, 13_258_719, 13_258_719),
}


@pytest.fixture(scope="session")
def real_csv_dir() -> Path:
    """The real CSVs of 2026-07-29 beside the checkout; tests that need them skip where they are absent."""
    folder = get_settings().captcha_data.parent / "live-csv-2026-07"
    if not folder.is_dir():
        pytest.skip(f"the real CSVs of 2026-07-29 are not at {folder}")
    return folder


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
