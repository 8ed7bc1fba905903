"""One broker branch over a window: every stock it traded, and the stocks it net-bought day after day.

Broker ids are case-sensitive, as on the site: 9B2z and 9B2Z are two branches."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, select

from flows.concentration import window_volumes
from flows.errors import UnknownBranchError
from flows.trades import (
    BUY_SHARES,
    NET_COLUMNS,
    PRICE_COLUMNS,
    SELL_SHARES,
    SIDES,
    frame_of,
    window_days,
    with_values,
)
from flows.window import Window
from storage import Store
from storage.models import BranchDayRow

STOCK_COLUMNS = ["stock_code", *NET_COLUMNS, *PRICE_COLUMNS, "volume_share", "buy_streak"]
STREAK_COLUMNS = ["stock_code", "days", "first_day", "last_day", "ongoing"]


@dataclass(frozen=True)
class BranchFlows:
    broker_id: str
    broker_name: str
    window: Window
    # One row per stock (STOCK_COLUMNS), the biggest net value bought first and the biggest sold last;
    # volume_share is the branch's part of the stock's volume in the window (as in StockFlows), buy_streak
    # the stock's longest net-buying streak in days (0 where it has none of 2 days or more).
    stocks: pd.DataFrame
    # Per stock, its longest run of consecutive trading days of the window with a net buy (2 days or
    # more; the latest run where two are as long); ongoing when it reaches the window's last day.
    streaks: pd.DataFrame


def branch_flows(store: Store, broker_id: str, window: Window) -> BranchFlows:
    rows = store.read(
        window_days(window, BranchDayRow.stock_code, func.max(BranchDayRow.broker_name), *SIDES)
        .where(BranchDayRow.broker_id == broker_id)
        .group_by(BranchDayRow.stock_code)
    )
    if not rows:
        known = store.read(select(BranchDayRow.broker_name).where(BranchDayRow.broker_id == broker_id).limit(1))
        if not known:
            raise UnknownBranchError(
                f"no stored trade was made by branch {broker_id!r} (ids are case-sensitive: 9B2z is not 9B2Z)"
            )
        name = known[0][0]
    else:
        name = max(row[1] for row in rows)
    stocks = with_values(frame_of(rows, ["stock_code", "broker_name", *(c.name for c in SIDES)]))
    volumes = window_volumes(store, window, list(stocks["stock_code"]))
    stocks["volume_share"] = (stocks["buy_shares"] + stocks["sell_shares"]) / (
        2 * stocks["stock_code"].map(volumes).where(lambda volume: volume > 0)
    )
    streaks = _streaks(store, broker_id, window)
    stocks["buy_streak"] = stocks["stock_code"].map(dict(zip(streaks["stock_code"], streaks["days"], strict=True)))
    stocks["buy_streak"] = stocks["buy_streak"].fillna(0).astype("int64")
    stocks = stocks.sort_values(["net_value", "stock_code"], ascending=[False, True], ignore_index=True)
    return BranchFlows(broker_id, name, window, stocks[STOCK_COLUMNS], streaks)


def _streaks(store: Store, broker_id: str, window: Window) -> pd.DataFrame:
    # branch_days holds one row per stock, branch and day: the days the branch net-bought a stock are rows.
    bought = store.read(
        window_days(window, BranchDayRow.stock_code, BranchDayRow.trade_date).where(
            BranchDayRow.broker_id == broker_id, BUY_SHARES > SELL_SHARES
        )
    )
    position = {day: index for index, day in enumerate(window.trade_dates)}
    days_by_stock: dict[str, list[int]] = {}
    for stock_code, trade_date in bought:
        days_by_stock.setdefault(stock_code, []).append(position[trade_date])
    streaks = []
    for stock_code, days in days_by_stock.items():
        best = (0, 0)  # (length, index of the last day)
        length, previous = 0, -2
        for day in sorted(days):
            length = length + 1 if day == previous + 1 else 1
            best = max(best, (length, day))
            previous = day
        if best[0] >= 2:
            length, last = best
            streaks.append(
                (
                    stock_code,
                    length,
                    window.trade_dates[last - length + 1],
                    window.trade_dates[last],
                    last == window.days - 1,
                )
            )
    frame = pd.DataFrame(streaks, columns=STREAK_COLUMNS)
    return frame.sort_values(["days", "last_day", "stock_code"], ascending=[False, False, True], ignore_index=True)
