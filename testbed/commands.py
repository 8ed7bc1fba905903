"""`bsr` as a user runs it, in a process of its own: the command line and the environment, for tests and
benchmarks that kill it, feed it bad input or time it."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path


def bsr_fetch(base_url: str, codes: Sequence[str], *extra: str, rate: float = 0) -> list[str]:
    """The `bsr fetch` command line a user would type, politeness off by default: the replica is ours."""
    return [sys.executable, "-m", "bsr", "fetch", "--base-url", base_url, "--rate", str(rate),
            "--stocks", ",".join(codes), *extra]  # fmt: skip


def bsr_environment(data_dir: Path, database_url: str = "") -> dict[str, str]:
    """The environment of `bsr` with its data under data_dir and, unless given, its database there too."""
    return os.environ | {
        "BSR_DATA_DIR": str(data_dir),
        "BSR_DATABASE_URL": database_url or f"sqlite:///{data_dir / 'bsr.sqlite3'}",
    }
