"""The `bsr` shell: help lists the rooms' commands and errors come as one line."""

from __future__ import annotations

import subprocess
import sys

from typer.main import get_command

from bot.options import FetchOptions, ScheduleOptions
from bsr.cli import app
from trainer.config import TrainingConfig


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


def test_the_commands_show_and_pass_the_rooms_own_defaults() -> None:
    commands = get_command(app).commands

    def defaults(command: str) -> dict[str, object]:
        params = commands[command].params
        assert all(param.show_default for param in params if param.name != "help")
        return {param.name: param.default for param in params}

    fetch = defaults("fetch")
    for name in ("universe", "limit", "concurrency", "rate", "max_attempts", "min_confidence"):
        assert fetch[name] == getattr(FetchOptions, name), name
    assert (fetch["answer_delay"], fetch["headed"]) == (FetchOptions.answer_delay_s, not FetchOptions.headless)
    schedule = defaults("schedule")
    assert schedule["at"] == f"{ScheduleOptions.hour:02d}:{ScheduleOptions.minute:02d}"
    assert (schedule["days"], schedule["timezone"]) == (ScheduleOptions.days, ScheduleOptions.timezone)
    assert schedule["poll_minutes"] * 60 == ScheduleOptions.poll_interval_s
    assert schedule["window_hours"] * 3600 == ScheduleOptions.ready_window_s
    train = defaults("train")
    for name in ("synthetic", "epochs", "batch_size", "learning_rate", "patience", "seed", "real_repeats", "init_model"):
        assert train[name] == getattr(TrainingConfig, name), name
    assert train["max_minutes"] == (TrainingConfig.max_minutes or 0)
