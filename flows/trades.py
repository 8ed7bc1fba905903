"""The SQL every flows question is built from: the window's branch days (storage's branch_days: a report's
records summed per branch), their shares and their values in exact cents. Aggregation happens in the database
(GROUP BY); only one row per branch, stock or day comes back."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Select, select

from flows.window import Window
from storage.models import BranchDayRow
from storage.stock_days import total

BUY_SHARES = BranchDayRow.buy_shares
SELL_SHARES = BranchDayRow.sell_shares


# The columns every per-branch or per-stock figure is derived from.
SIDES = (
    total(BranchDayRow.buy_shares).label("buy_shares"),
    total(BranchDayRow.sell_shares).label("sell_shares"),
    total(BranchDayRow.buy_cents).label("buy_cents"),
    total(BranchDayRow.sell_cents).label("sell_cents"),
)


# The columns with_values adds, in the order the frames show them.
NET_COLUMNS = ["buy_shares", "sell_shares", "net_shares", "buy_value", "sell_value", "net_value"]
PRICE_COLUMNS = ["avg_buy_price", "avg_sell_price"]


def window_days(window: Window, *columns: Any) -> Select[Any]:
    """SELECT `columns` FROM the branch days of `window`."""
    return select(*columns).where(BranchDayRow.trade_date.between(window.first, window.last))


def with_values(frame: pd.DataFrame) -> pd.DataFrame:
    """Adds net shares, values in NT$ and average prices to a frame of SIDES columns (the cents dropped).

    Values are float64 NT$, made from the exact integer cents: a float64 holds every cent exactly up to
    NT$ 90 trillion, far beyond any stock's turnover over years, and pandas computes with it natively
    (Decimal would make every column an object column, slow and awkward to chart). Averages are ratios,
    float64 as well; where a branch did not buy (or sell), its average price is NaN, not 0."""
    frame = frame.astype({"buy_shares": "int64", "sell_shares": "int64", "buy_cents": "int64", "sell_cents": "int64"})
    frame["net_shares"] = frame["buy_shares"] - frame["sell_shares"]
    frame["buy_value"] = frame["buy_cents"] / 100
    frame["sell_value"] = frame["sell_cents"] / 100
    frame["net_value"] = (frame["buy_cents"] - frame["sell_cents"]) / 100
    frame["avg_buy_price"] = (frame["buy_cents"] / frame["buy_shares"].where(frame["buy_shares"] > 0)) / 100
    frame["avg_sell_price"] = (frame["sell_cents"] / frame["sell_shares"].where(frame["sell_shares"] > 0)) / 100
    return frame.drop(columns=["buy_cents", "sell_cents"])


def frame_of(rows: list[Any], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame([tuple(row) for row in rows], columns=columns)


def as_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame as JSON-ready objects: NaN as None, dates as YYYY-MM-DD, numpy numbers as Python's."""
    cleaned = frame.astype(object).where(frame.notna(), None)
    records = cleaned.to_dict(orient="records")
    for record in records:
        for key, value in record.items():
            if hasattr(value, "isoformat"):
                record[key] = value.isoformat()
            elif hasattr(value, "item"):
                record[key] = value.item()
    return records
