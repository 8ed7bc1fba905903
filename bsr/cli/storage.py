"""`bsr db upgrade` and `bsr export`: the database's schema, and a day's broker trades out to a file.

Thin: each parses its arguments and calls one function of the storage room."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from bsr.settings import get_settings
from storage import ExportFormat, Store, export_day, upgrade_database

db_app = typer.Typer(help="The database: its schema migrations.", no_args_is_help=True)


@db_app.command()
def upgrade() -> None:
    """Bring the database schema (BSR_DATABASE_URL) to this version's; safe to run again."""
    result = upgrade_database(get_settings().resolved_database_url)
    if result.changed:
        typer.echo(
            f"database {result.url} upgraded from {result.before or 'empty'} to revision {result.after}"
        )
    else:
        typer.echo(f"database {result.url} is up to date (revision {result.after})")


def export(
    trade_date: str = typer.Option(..., "--date", help="The trade date to export, YYYY-MM-DD."),
    export_format: str = typer.Option("csv", "--format", help="csv or parquet."),
    out: Path | None = typer.Option(
        None, "--out", help="File or folder to write; default: the working folder."
    ),
) -> None:
    """Write a day's broker trades (one row per trade) to a CSV or Parquet file."""
    try:
        day = date.fromisoformat(trade_date)
    except ValueError:
        raise typer.BadParameter(
            f"--date {trade_date!r} is no date: give YYYY-MM-DD, e.g. 2026-11-20"
        ) from None
    try:
        chosen = ExportFormat(export_format.lower())
    except ValueError:
        raise typer.BadParameter(f"--format {export_format!r} is unknown: give csv or parquet") from None
    with Store.open(get_settings().resolved_database_url) as store:
        result = export_day(store, day, chosen, out)
    typer.echo(
        f"wrote {result.rows} broker trades of {result.reports} reports of {day.isoformat()} to {result.path}"
    )
