"""`bsr` as a user runs it, in a process of its own: the command line and the environment, for tests and
benchmarks that kill it, feed it bad input or time it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path


def run_bsr(
    *args: str, environment: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """`python -m bsr ARGS` to the end, its output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "bsr", *args], env=environment, cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def bsr_fetch(base_url: str, codes: Sequence[str], *extra: str, rate: float = 0) -> list[str]:
    """The `bsr fetch` command line a user would type, politeness off by default: the replica is ours."""
    return [
        sys.executable,
        "-m",
        "bsr",
        "fetch",
        "--base-url",
        base_url,
        "--rate",
        str(rate),
        "--stocks",
        ",".join(codes),
        *extra,
    ]


def bsr_environment(data_dir: Path, database_url: str = "") -> dict[str, str]:
    """The environment of `bsr` with its data under data_dir and, unless given, its database there too."""
    return os.environ | {
        "BSR_DATA_DIR": str(data_dir),
        "BSR_DATABASE_URL": database_url or f"sqlite:///{data_dir / 'bsr.sqlite3'}",
    }
