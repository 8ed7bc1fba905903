"""The `bsr` shell: help lists the rooms' commands, errors come as one line, and log lines are console lines
or JSON lines on stderr, never through a progress bar."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import structlog
from rich.console import Console
from rich.progress import Progress
from typer.main import get_command

from bot.options import FetchOptions, ScheduleOptions
from bsr.cli import app
from bsr.cli.logs import LogFormat, configure_logging
from testbed.commands import run_bsr
from trainer.config import TrainingConfig


def test_help_lists_replica() -> None:
    result = run_bsr("--help")
    assert result.returncode == 0
    assert "replica" in result.stdout


def test_unknown_command_is_one_line_error() -> None:
    result = run_bsr("no-such-command")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr


# `python -m bsr ARGS` as Python runs it, which at its exit writes the top-level modules it imported to a file.
BSR_TELLING_ITS_IMPORTS = """
import json, runpy, sys
report, sys.argv = sys.argv[1], ["bsr", *sys.argv[2:]]
try:
    runpy.run_module("bsr", run_name="__main__", alter_sys=True)
finally:
    with open(report, "w") as handle:
        json.dump(sorted({name.split(".")[0] for name in sys.modules}), handle)
"""
# The C++ libraries' loudest settings, whatever the CPU: TensorFlow's info lines and verbose logging, oneDNN's
# notice. No GPU in sight, as on a CPU machine, where the bot reads through LiteRT alone.
LOUDEST_NATIVE_LOGS = {
    "TF_CPP_MIN_LOG_LEVEL": "0",
    "TF_CPP_MAX_VLOG_LEVEL": "1",
    "TF_ENABLE_ONEDNN_OPTS": "1",
    "CUDA_VISIBLE_DEVICES": "",
}


def test_log_format_json_writes_one_json_object_a_line_on_stderr(replica, tmp_path: Path) -> None:
    environment = (
        os.environ
        | LOUDEST_NATIVE_LOGS
        | {
            "BSR_DATA_DIR": str(tmp_path),
            "BSR_DATABASE_URL": f"sqlite:///{tmp_path / 'bsr.sqlite3'}",
        }
    )
    imports = tmp_path / "imports.json"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            BSR_TELLING_ITS_IMPORTS,
            str(imports),
            "--log-format",
            "json",
            "fetch",
            "--base-url",
            replica.base_url,
            "--stocks",
            "2330",
            "--rate",
            "0",
        ],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    events = [json.loads(line) for line in result.stderr.splitlines()]
    (finished,) = [event for event in events if event["event"] == "fetch finished"]
    assert (finished["level"], finished["status"], finished["stored"]) == ("info", "succeeded", 1)
    assert "fetch finished" not in result.stdout  # the summary table is on stdout, the log lines are not
    # The solver read its captchas without TensorFlow, Keras or JAX in the process.
    assert not {"tensorflow", "keras", "jax"} & set(json.loads(imports.read_text()))


@pytest.fixture
def logging_as():
    """Configures the CLI's logging for one test, and puts structlog's defaults back afterwards."""
    yield configure_logging
    structlog.reset_defaults()


def test_console_lines_print_above_a_live_progress_bar(logging_as, capsys: pytest.CaptureFixture[str]) -> None:
    logging_as(LogFormat.CONSOLE)
    screen = io.StringIO()
    with Progress(console=Console(file=screen, force_terminal=True, width=100)) as progress:
        task = progress.add_task("fetching", total=2)
        structlog.get_logger("bot.job").warning("throttled", stock_code="2330")
        progress.advance(task)
    assert "throttled" in screen.getvalue() and "stock_code=2330" in screen.getvalue()
    assert capsys.readouterr().err == ""  # not written around the bar


def test_json_lines_go_to_stderr_past_a_live_progress_bar(logging_as, capsys: pytest.CaptureFixture[str]) -> None:
    logging_as(LogFormat.JSON)
    screen = io.StringIO()
    with Progress(console=Console(file=screen, force_terminal=True, width=100)):
        structlog.get_logger("bot.job").warning("throttled", stock_code="2330")
    assert json.loads(capsys.readouterr().err)["stock_code"] == "2330"
    assert "throttled" not in screen.getvalue()


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
    for name in (
        "synthetic",
        "epochs",
        "batch_size",
        "learning_rate",
        "patience",
        "seed",
        "real_repeats",
        "init_model",
    ):
        assert train[name] == getattr(TrainingConfig, name), name
    assert train["max_minutes"] == (TrainingConfig.max_minutes or 0)
