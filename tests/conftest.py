"""Shared fixtures: the real captchas beside the checkout, the replica, a browser, and a database URL
for SQLite and, where BSR_TEST_PG_URL is set, PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from bsr.settings import get_settings
from testbed.databases import scratch_postgresql_schema


@pytest.fixture(scope="session")
def real_captchas() -> Path:
    """The real labelled captchas in ../shared/data; tests that need them skip where they are absent."""
    path = get_settings().captcha_data
    if not (path / "labels.csv").is_file():
        pytest.skip(f"real captchas not found at {path}")
    return path


# A Friday: the replica serves this trade date in tests, so reports are the same on every run.
REPLICA_TRADE_DATE = date(2026, 11, 20)


@pytest.fixture(scope="session")
def replica_server() -> Iterator:
    """One replica (synthetic captchas, seed 1) over real HTTP on a free loopback port, for the whole run."""
    from replica.config import ReplicaConfig
    from replica.server import ReplicaServer

    with ReplicaServer(ReplicaConfig(trade_date=REPLICA_TRADE_DATE, seed=1)) as server:
        yield server


@pytest.fixture
def replica(replica_server):
    """The replica, reset to its start settings (faults off, stats zero) for each test; a ReplicaServer."""
    replica_server.reset()
    return replica_server


class FakeClock:
    """Time as the replica reads it, standing still until a test moves it on."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def clocked_replica(clock: FakeClock) -> Iterator:
    """A replica of its own whose captchas, firewall and throttle go by `clock`."""
    from replica.config import ReplicaConfig
    from replica.server import ReplicaServer

    with ReplicaServer(ReplicaConfig(trade_date=REPLICA_TRADE_DATE, seed=1), clock=clock) as server:
        yield server


@pytest.fixture
async def browser():
    """A real Chromium, launched as the bot launches it (system build, closed-network flags)."""
    from bot.browser import launch_browser

    async with launch_browser() as launched:
        yield launched


PG_URL = os.environ.get("BSR_TEST_PG_URL", "")


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.skipif(not PG_URL, reason="BSR_TEST_PG_URL is not set")),
    ]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test twice: on a SQLite file in a folder not yet made, and on PostgreSQL when
    BSR_TEST_PG_URL names one (a scratch schema, dropped afterwards)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'bsr.sqlite3'}"
        return
    with scratch_postgresql_schema(PG_URL) as url:
        yield url
