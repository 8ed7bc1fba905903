"""`bsr import`: files of the site's CSVs, or the Parquet `bsr export` wrote, into the database as imported reports.
Thin: it parses its arguments and calls bot.history_import.import_history."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from rich.console import Console

from bsr.settings import get_settings

console = Console()


def import_history(
    paths: list[Path] = typer.Argument(
        ...,
        metavar="PATH",
        help="Files or folders (searched recursively) of the site's CSVs, or Parquet written by bsr export.",
    ),
    trade_date: str | None = typer.Option(
        None,
        "--date",
        help="The trade date of every file, YYYY-MM-DD; default: the date in each file's or folder's name.",
    ),
    replace: bool = typer.Option(
        False, "--replace", help="Replace a different report already stored for a file's day and code."
    ),
) -> None:
    """Import broker reports saved as files: each checked as a download is, stored whole or not at all, marked
    imported; the same file again changes nothing. Exits 1 when any file or report was refused."""
    day = _parse_date(trade_date) if trade_date is not None else None
    from bot.history_import import import_history as run_import

    summary = run_import(paths, get_settings().resolved_database_url, console, day, replace)
    if summary.refused:
        raise typer.Exit(1)


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"--date {text!r} is no date: give YYYY-MM-DD, e.g. 2026-07-29") from None
