"""Folders of the site's CSVs as users and tools save them, written from the replica's market, with each file's trades:
the July 2026 layout flat (`YYYYMMDD_CODE_twse_broker_trades.csv`, Big5), September's in day folders
(`YYYY-MM-DD/CODE.csv`, UTF-8 with a BOM). For the tests and the benchmark of `bsr import`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bsr.replica_history import replica_trades
from replica.market import Market
from replica.report_csv import report_csv_bytes
from storage import BrokerTrade

JULY_LAYOUT = "2026-07"
SEPTEMBER_LAYOUT = "2026-09"


@dataclass(frozen=True)
class SavedReport:
    path: Path
    trade_date: date
    stock_code: str
    trades: tuple[BrokerTrade, ...]


def saved_name(trade_date: date, stock_code: str, layout: str) -> str:
    """Where a tool saving `layout`'s files puts one report, relative to its folder."""
    if layout == JULY_LAYOUT:
        return f"{trade_date:%Y%m%d}_{stock_code}_twse_broker_trades.csv"
    return f"{trade_date.isoformat()}/{stock_code}.csv"


def write_saved_reports(
    folder: Path, market: Market, days: Iterable[date], layout: str, per_day: int
) -> list[SavedReport]:
    """The reports of the first `per_day` securities that traded each day, saved under `folder` in `layout`
    (JULY_LAYOUT or SEPTEMBER_LAYOUT)."""
    saved = []
    for trade_date in days:
        written = 0
        for security in market.listed(trade_date):
            if written == per_day:
                break
            generated = market.report(trade_date, security.code)
            if generated is None:
                continue
            path = folder / saved_name(trade_date, security.code, layout)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(report_csv_bytes(generated, layout))
            saved.append(SavedReport(path, trade_date, security.code, replica_trades(generated)))
            written += 1
    return saved
