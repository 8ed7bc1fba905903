"""Fixtures of the reliability tests: the solver `bsr fetch` would load, a fresh store, a job runner, and
`bsr` itself in a subprocess, as a user runs it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from testbed.commands import bsr_environment
from tests.fetching import fetch, solver, store  # noqa: F401 - fixtures shared with the bot's tests


@pytest.fixture
def bsr(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Runs `python -m bsr ARGS` with its data (and, unless given, its database) under tmp_path."""

    def run(*args: str, database_url: str = "", timeout: float = 180) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bsr", *args],
            env=bsr_environment(tmp_path / "data", database_url),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run
