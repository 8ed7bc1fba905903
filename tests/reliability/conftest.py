"""Fixtures of the reliability tests: the solver `bsr fetch` would load, a fresh store, a job runner, and
`bsr` itself in a subprocess, as a user runs it."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from testbed.commands import bsr_environment, run_bsr
from tests.fetching import fetch, solver, store  # noqa: F401 - fixtures shared with the bot's tests


@pytest.fixture
def bsr(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Runs `python -m bsr ARGS` with its data (and, unless given, its database) under tmp_path."""

    def run(*args: str, database_url: str = "", timeout: float = 180) -> subprocess.CompletedProcess[str]:
        return run_bsr(*args, environment=bsr_environment(tmp_path / "data", database_url), timeout=timeout)

    return run
