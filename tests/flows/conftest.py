"""A small broker history whose every figure can be worked out by hand, stored on SQLite (and PostgreSQL).

Three trading days, 2026-11-16 to 18. 2330: branch 9B2z buys and sells at several prices each day; its
case twin 9B2Z is a different branch. 1101 has no trades on the 17th (the site answered 查無資料).
2454 trades on the 18th only, between 20 buyers and 20 sellers, so that its top 15 differ from all."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from flows import ColumnarCopy
from storage import BrokerTrade, DayFigures, Report, Store
from testbed.reports import site_csv

D1, D2, D3 = date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 18)
NAMES = {"9B2z": "台新文心", "9B2Z": "台新五權", "1020": "合庫", "1030": "土銀"}

# (day, stock) -> records (broker id, price, bought, sold), ordered by broker then price as the site does.
HISTORY: dict[tuple[date, str], list[tuple[str, str, int, int]]] = {
    (D1, "2330"): [
        ("1020", "101.55", 0, 1000),
        ("9B2Z", "100.00", 0, 1000),
        ("9B2z", "100.00", 3000, 0),
        ("9B2z", "101.55", 1000, 2000),
    ],
    (D2, "2330"): [("1020", "102.00", 0, 2000), ("9B2z", "102.00", 2000, 0)],
    (D3, "2330"): [("1030", "99.50", 0, 500), ("9B2z", "99.50", 1000, 500)],
    (D1, "1101"): [("1030", "40.25", 0, 1000), ("9B2z", "40.25", 1000, 0)],
    (D2, "1101"): [],
    (D3, "1101"): [("9B2Z", "41.00", 2000, 0), ("9B2z", "41.00", 0, 2000)],
    # Buyers B001..B020 buy 1,000..20,000 shares; sellers S001..S020 sell 10,500 each.
    (D3, "2454"): [(f"B{i:03d}", "1000.00", i * 1000, 0) for i in range(1, 21)]
    + [(f"S{i:03d}", "1000.00", 0, 10_500) for i in range(1, 21)],
}


# The close as the report view gave it; 2330's report of the 17th was stored without the view's figures.
CLOSES = {(D1, "2330"): "101.55", (D3, "2330"): "99.50", (D1, "1101"): "40.25", (D3, "1101"): "41.00"}


def history_reports() -> list[Report]:
    reports = []
    for (day, code), records in HISTORY.items():
        trades = [
            BrokerTrade(seq, broker_id, NAMES.get(broker_id, f"券商{broker_id}"), Decimal(price), bought, sold)
            for seq, (broker_id, price, bought, sold) in enumerate(records, start=1)
        ]
        reports.append(
            Report(
                trade_date=day,
                stock_code=code,
                rec_count=len(trades),
                trades=tuple(trades),
                raw_csv=site_csv(code, trades),
                fetched_at=datetime(day.year, day.month, day.day, 9, tzinfo=UTC),
                no_trades=not trades,
                figures=_figures(day, code, trades),
            )
        )
    return reports


@pytest.fixture
def history(database_url: str) -> Iterator[Store]:
    """A Store holding the history above."""
    with Store.open(database_url) as store:
        for report in history_reports():
            store.save_report(report)
        yield store


@pytest.fixture
def columnar(history: Store, tmp_path: Path) -> ColumnarCopy:
    """The history's columnar copy, in a folder of the test's own."""
    return ColumnarCopy(history, tmp_path / "columnar")


def _figures(day: date, code: str, trades: list[BrokerTrade]) -> DayFigures | None:
    close = CLOSES.get((day, code))
    if close is None:
        return None
    bought = sum(trade.buy_shares for trade in trades)
    turnover = int(sum(trade.price * trade.buy_shares for trade in trades))
    price = Decimal(close)
    return DayFigures(day, len(trades), turnover, bought, price, price, price, price)
