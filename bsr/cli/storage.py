"""`bsr db upgrade` and `bsr export`: the database's schema, and a day's broker trades out to a file.

Thin: each parses its arguments and calls one function of the storage room."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from bsr.settings import get_settings
from storage import (
    ExportFormat,
    ExportTable,
    Store,
    export_dataset,
    export_day,
    export_reports,
    upgrade_database,
)

db_app = typer.Typer(help="The database: its schema migrations.", no_args_is_help=True)


@db_app.command()
def upgrade() -> None:
    """Bring the database schema (BSR_DATABASE_URL) to this version's; safe to run again."""
    result = upgrade_database(get_settings().resolved_database_url)
    if result.changed:
        typer.echo(f"database {result.url} upgraded from {result.before or 'empty'} to revision {result.after}")
    else:
        typer.echo(f"database {result.url} is up to date (revision {result.after})")


def export(
    trade_date: str | None = typer.Option(
        None, "--date", help="The trade date to export, YYYY-MM-DD; a dataset without it gets every stored day."
    ),
    export_format: str = typer.Option(
        "csv", "--format", help="csv, parquet, or dataset (Hive-partitioned Parquet: trade_date=YYYY-MM-DD/)."
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        help="File or folder to write; default: the working folder (./broker-trades or ./broker-reports for a dataset).",
    ),
    what: str = typer.Option(
        "trades",
        "--what",
        help="trades (one row per broker trade) or reports (one per report, with the site's figures).",
    ),
) -> None:
    """Write a day's broker trades (one row per trade) or reports (one row per report, with the site's figures
    of the day) to a CSV or Parquet file, or days into a Parquet dataset."""
    try:
        chosen = ExportFormat(export_format.lower())
    except ValueError:
        raise typer.BadParameter(f"--format {export_format!r} is unknown: give csv, parquet or dataset") from None
    try:
        table = ExportTable(what.lower())
    except ValueError:
        raise typer.BadParameter(f"--what {what!r} is unknown: give trades or reports") from None
    day = _parse_date(trade_date) if trade_date is not None else None
    if day is None and chosen is not ExportFormat.DATASET:
        raise typer.BadParameter(f"--format {chosen.value} needs --date YYYY-MM-DD, e.g. 2026-11-20")
    with Store.open(get_settings().resolved_database_url) as store:
        if chosen is ExportFormat.DATASET:
            results = export_dataset(store, out, None if day is None else [day], table)
        elif table is ExportTable.TRADES:
            results = [export_day(store, day, chosen, out)]
        else:
            results = [export_reports(store, day, chosen, out)]
    for result in results:
        rows = f"{result.rows} broker trades of " if table is ExportTable.TRADES else ""
        typer.echo(f"wrote {rows}{result.reports} reports of {result.trade_date.isoformat()} to {result.path}")


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"--date {text!r} is no date: give YYYY-MM-DD, e.g. 2026-11-20") from None
