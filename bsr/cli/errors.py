"""How errors reach the user: one clear line on stderr and a non-zero exit, never a traceback.

Rooms raise typed errors whose message says what to do; this is the one place that prints them."""

from __future__ import annotations

import sys

import click
import typer


def run_app(app: typer.Typer) -> None:
    try:
        # Without standalone mode Typer hands back the code of a `typer.Exit` instead of exiting with it.
        code = app(standalone_mode=False)
    except (click.ClickException, typer.TyperException) as error:
        # Typer carries its own copy of click, so a bad option arrives as a TyperException.
        print(f"bsr: error: {error.format_message()} (see --help)", file=sys.stderr)
        sys.exit(error.exit_code)
    except (KeyboardInterrupt, click.Abort, typer.Abort):
        print("bsr: interrupted", file=sys.stderr)
        sys.exit(130)
    except (click.exceptions.Exit, typer.Exit) as stop:
        sys.exit(stop.exit_code)
    except Exception as error:  # the one place that turns any error into a line
        print(f"bsr: error: {error}", file=sys.stderr)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
