"""How `bsr` logs: structlog configured once for every command, on stderr, as `--log-format` chooses: console
lines for a person at a terminal, JSON lines for whatever else reads stderr."""

from __future__ import annotations

import sys
from enum import StrEnum

import structlog


class LogFormat(StrEnum):
    CONSOLE = "console"
    JSON = "json"


class StderrLines:
    """A structlog logger that writes each rendered event as one line to stderr as it stands at that moment.

    While a rich progress bar is live on a terminal, sys.stderr is rich's proxy, which prints what it is
    given through the bar's console, above the bar: console lines take that way. JSON lines go to the
    stream beneath the proxy, so that they reach the file or pipe stderr was sent to, never the screen."""

    def __init__(self, log_format: LogFormat) -> None:
        self.log_format = log_format

    def msg(self, message: str) -> None:
        stream = sys.stderr
        if self.log_format is LogFormat.JSON:
            stream = getattr(stream, "rich_proxied_file", stream)
        stream.write(message + "\n")
        stream.flush()

    debug = info = warning = warn = error = critical = exception = fatal = log = msg


def configure_logging(log_format: LogFormat | None = None) -> LogFormat:
    """Console lines where stderr is a terminal and JSON lines elsewhere, unless `log_format` says which;
    returns the format chosen."""
    interactive = sys.stderr.isatty()
    chosen = log_format or (LogFormat.CONSOLE if interactive else LogFormat.JSON)
    renderer = (
        structlog.dev.ConsoleRenderer(colors=interactive)
        if chosen is LogFormat.CONSOLE
        else structlog.processors.JSONRenderer(ensure_ascii=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        # Each logger names the stderr of its moment, so that a test's captured stream or a progress bar's
        # proxy is the one written to.
        logger_factory=lambda *names: StderrLines(chosen),
        cache_logger_on_first_use=False,
    )
    return chosen
