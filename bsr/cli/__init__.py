"""The `bsr` command: a thin shell over the rooms.

Each subcommand parses its arguments and calls one function of a room; errors reach the user as one line."""

from __future__ import annotations

import os

import typer

from bsr.cli import alerts as alerts_cli
from bsr.cli import bot as bot_cli
from bsr.cli import dashboard as dashboard_cli
from bsr.cli import flows as flows_cli
from bsr.cli import history as history_cli
from bsr.cli import learning as learning_cli
from bsr.cli import replica as replica_cli
from bsr.cli import solver as solver_cli
from bsr.cli import storage as storage_cli
from bsr.cli.errors import run_app
from bsr.cli.logs import LogFormat, configure_logging

app = typer.Typer(
    name="bsr",
    help="Download the TWSE daily broker reports (買賣日報表) through their captcha, into SQL.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def bsr(
    log_format: LogFormat | None = typer.Option(
        None, help="How log lines are written to stderr; default: console on a terminal, else json."
    ),
) -> None:
    configure_logging(log_format)


app.add_typer(replica_cli.app, name="replica")
app.command("train")(solver_cli.train)
app.command("eval")(solver_cli.evaluate)
app.add_typer(storage_cli.db_app, name="db")
app.command()(storage_cli.export)
app.command("import")(history_cli.import_history)
app.add_typer(flows_cli.app, name="flows")
app.command()(bot_cli.fetch)
app.command()(bot_cli.schedule)
app.command()(bot_cli.demo)
app.command()(dashboard_cli.dashboard)
app.command()(learning_cli.relabel)
app.add_typer(learning_cli.models_app, name="models")
app.add_typer(learning_cli.failures_app, name="failures")
app.add_typer(alerts_cli.app, name="alerts")


def main() -> None:
    # TensorFlow's C++ start-up chatter is no news to a user; its errors still show.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    run_app(app)
