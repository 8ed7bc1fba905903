"""`bsr flows stock|branch|rank`: who bought and sold what over a window of stored trading days.
Thin: each command resolves the window, asks the flows room one question and prints a table, CSV or JSON."""

from __future__ import annotations

import csv
import json
import math
import sys
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.table import Table

from bsr.settings import get_settings

if TYPE_CHECKING:  # the rooms load when a command runs, so that `bsr --help` stays quick
    from flows import Window
    from storage import Store

app = typer.Typer(
    help="Broker flows over a window of stored days: one stock, one branch, the market's rankings.",
    no_args_is_help=True,
)
console = Console()

# A terminal's table leaves these out (csv and json keep every column): the net figures say enough.
TABLE_LEAVES_OUT = {"buy_value", "sell_value", "top_buy_shares", "top_sell_shares"}


class OutputFormat(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"


class RankBy(StrEnum):
    STOCKS = "stocks"
    BRANCHES = "branches"


# Every command takes the window and the output format alike.
DAYS = typer.Option(None, "--days", help="The N latest stored trading days (default 1); or give --from/--to.")
FROM = typer.Option(None, "--from", help="First trade date, YYYY-MM-DD.")
TO = typer.Option(None, "--to", help="Last trade date, YYYY-MM-DD.")
FORMAT = typer.Option(OutputFormat.TABLE, "--format", help="table, csv or json.")
TOP = typer.Option(15, "--top", min=1, help="How many net buyers and how many net sellers to list.")


@app.command()
def stock(
    code: str = typer.Argument(..., help="The stock code, e.g. 2330."),
    days: int | None = DAYS,
    start: str | None = FROM,
    end: str | None = TO,
    top: int = TOP,
    output: OutputFormat = FORMAT,
) -> None:
    """A stock's branches over the window: the top net buyers, then the top net sellers."""
    from flows import as_records, stock_flows
    from storage import Store

    with Store.open(get_settings().resolved_database_url) as store:
        flows = stock_flows(store, code, _window(store, days, start, end), top)
    rows = as_records(flows.top_buyers(top)) + as_records(flows.top_sellers(top))
    title = (
        f"{code} over {flows.window}: {flows.volume:,} shares traded, concentration "
        f"{_percent(flows.concentration)} (top 15), {flows.buying_branches} branches net-bought, "
        f"{flows.selling_branches} net-sold"
    )
    _print(rows, output, title)


@app.command()
def branch(
    broker_id: str = typer.Argument(..., help="The branch id as the report shows it, e.g. 9B2z (case-sensitive)."),
    days: int | None = DAYS,
    start: str | None = FROM,
    end: str | None = TO,
    top: int = TOP,
    output: OutputFormat = FORMAT,
) -> None:
    """A branch's stocks over the window: the most net value bought, then the most sold."""
    from flows import as_records, branch_flows
    from storage import Store

    with Store.open(get_settings().resolved_database_url) as store:
        flows = branch_flows(store, broker_id, _window(store, days, start, end))
    stocks = flows.stocks
    bought = stocks[stocks["net_value"] > 0].head(top)
    sold = stocks[stocks["net_value"] < 0].iloc[::-1].head(top)
    rows = [{"broker_id": flows.broker_id, **row} for row in as_records(bought) + as_records(sold)]
    streaks = ", ".join(f"{row['stock_code']} {row['days']} days" for row in as_records(flows.streaks.head(5)))
    title = f"{flows.broker_id} {flows.broker_name} over {flows.window}" + (
        f"; net-bought day after day: {streaks}" if streaks else ""
    )
    _print(rows, output, title)


@app.command()
def rank(
    by: RankBy = typer.Option(RankBy.STOCKS, "--by", help="stocks (by concentration) or branches (by net value)."),
    days: int | None = DAYS,
    start: str | None = FROM,
    end: str | None = TO,
    top: int = typer.Option(15, "--top", min=1, help="How many of each end of the ranking to list."),
    output: OutputFormat = FORMAT,
) -> None:
    """The market over the window: stocks by concentration, or branches by net value, both ends."""
    from flows import ColumnarCopy, as_records, rank_branches, rank_stocks
    from storage import Store

    settings = get_settings()
    with Store.open(settings.resolved_database_url) as store:
        window = _window(store, days, start, end)
        columnar = ColumnarCopy(store, settings.columnar_dir)
        ranked = rank_stocks(columnar, window) if by is RankBy.STOCKS else rank_branches(columnar, window)
    measure = "concentration" if by is RankBy.STOCKS else "net_value"
    ranked = ranked[ranked[measure].notna()]
    rows = as_records(ranked[ranked[measure] > 0].head(top)) + as_records(
        ranked[ranked[measure] < 0].iloc[::-1].head(top)
    )
    what = (
        "stocks by concentration (top 15 net buys − sells over volume)"
        if by is RankBy.STOCKS
        else ("branches by net value (NT$ bought − sold)")
    )
    _print(rows, output, f"{what} over {window}: the top {top} each way")


def _window(store: Store, days: int | None, start: str | None, end: str | None) -> Window:
    from flows import resolve_window

    return resolve_window(store, days, _day(start, "--from"), _day(end, "--to"))


def _day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{option} {text!r} is no date: give YYYY-MM-DD, e.g. 2026-11-20") from None


def _print(rows: list[dict[str, Any]], output: OutputFormat, title: str) -> None:
    if output is OutputFormat.JSON:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=1))
    elif output is OutputFormat.CSV:
        if rows:
            writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    else:
        table = Table(title=title, title_justify="left")
        columns = [column for column in rows[0] if column not in TABLE_LEAVES_OUT] if rows else []
        for column in columns:
            table.add_column(column.replace("_", " "), justify="left" if _is_text(rows, column) else "right")
        for row in rows:
            table.add_row(*(_cell(column, row[column]) for column in columns))
        console.print(table if rows else f"{title}\nno trades in this window")


def _is_text(rows: list[dict[str, Any]], column: str) -> bool:
    return all(isinstance(row[column], str) or row[column] is None for row in rows)


def _cell(column: str, value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool) or isinstance(value, str):
        return str(value)
    if column in ("volume_share", "concentration"):
        return _percent(value)
    if isinstance(value, float):
        return f"{value:,.2f}"
    return f"{value:,}"


def _percent(value: float) -> str:
    return "–" if value is None or math.isnan(value) else f"{value:.1%}"
