"""A branch's position in one stock, day by day over a window: what it bought and sold, the shares it
built up (cumulative net shares since the window's first day), and what that position cost on average."""

from __future__ import annotations

import pandas as pd

from flows.trades import SIDES, frame_of, window_days, with_values
from flows.window import Window
from storage import Store
from storage.models import BranchDayRow

POSITION_COLUMNS = [
    "trade_date",
    "buy_shares",
    "sell_shares",
    "net_shares",
    "net_value",
    "avg_buy_price",
    "avg_sell_price",
    "position",
    "cost",
    "avg_cost",
]


def position(store: Store, broker_id: str, stock_code: str, window: Window) -> pd.DataFrame:
    """One row per trading day of the window (days without trades by the branch: zeros).

    `cost` is the money paid less the money received since the window began (NT$); `avg_cost` is cost over
    position, the price at which the net position was built (NaN while the position is 0). A branch that
    sold more than it bought has a negative position and cost: avg_cost is then what it sold at, net."""
    rows = store.read(
        window_days(window, BranchDayRow.trade_date, *SIDES)
        .where(BranchDayRow.broker_id == broker_id, BranchDayRow.stock_code == stock_code)
        .group_by(BranchDayRow.trade_date)
    )
    by_day = frame_of(rows, ["trade_date", *(c.name for c in SIDES)]).set_index("trade_date")
    days = by_day.reindex(pd.Index(window.trade_dates, name="trade_date"), fill_value=0).reset_index()
    frame = with_values(days)
    frame["position"] = frame["net_shares"].cumsum()
    frame["cost"] = frame["net_value"].cumsum().round(2)
    frame["avg_cost"] = frame["cost"] / frame["position"].where(frame["position"] != 0)
    return frame[POSITION_COLUMNS]
