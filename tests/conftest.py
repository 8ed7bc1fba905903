"""Shared fixtures: paths to the real captchas beside the checkout, seeded randomness, and the replica."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from bsr.settings import get_settings


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


@pytest.fixture
async def browser():
    """A real Chromium, launched as the bot launches it (system build, closed-network flags)."""
    from bot.browser import launch_browser

    async with launch_browser() as launched:
        yield launched
