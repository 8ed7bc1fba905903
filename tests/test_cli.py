"""The `bsr` shell: help lists the rooms' commands and errors come as one line."""

from __future__ import annotations

import subprocess
import sys


def run_bsr(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from bsr.cli import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_help_lists_replica() -> None:
    result = run_bsr("--help")
    assert result.returncode == 0
    assert "replica" in result.stdout


def test_unknown_command_is_one_line_error() -> None:
    result = run_bsr("no-such-command")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
