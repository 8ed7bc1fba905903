"""主力集中度, the concentration of a stock's trading: what its top 15 net buyers bought beyond what its top
15 net sellers sold, over the window's volume; with how many branches net-bought against net-sold.

One SQL statement (window functions) serves one stock and the market-wide ranking alike."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Select, and_, case, func, select

from flows.trades import BUY_SHARES, SELL_SHARES, frame_of, total, window_days
from flows.window import Window
from storage.models import BranchDayRow

CONCENTRATION_TOP = 15
COLUMNS = ["stock_code", "volume", "top_buy_shares", "top_sell_shares", "buying_branches", "selling_branches"]


def concentration_query(window: Window, stock_code: str | None = None, daily: bool = False) -> Select[Any]:
    """Per stock (all, or one): volume, the top net buyers' and sellers' shares, branches each way; over
    the whole window, or `daily` for each of its days (then the first column is the trade date).

    The volume is the shares bought (every trade has a buyer and a seller, so it equals the shares sold)."""
    keys = [BranchDayRow.trade_date, BranchDayRow.stock_code] if daily else [BranchDayRow.stock_code]
    per_branch = window_days(
        window,
        *keys,
        total(BUY_SHARES).label("bought"),
        total(BUY_SHARES - SELL_SHARES).label("net"),
    ).group_by(*keys, BranchDayRow.broker_id)
    if stock_code is not None:
        per_branch = per_branch.where(BranchDayRow.stock_code == stock_code)
    branches = per_branch.subquery()
    group = [branches.c[key.key] for key in keys]
    # One ordering serves both ends: the sellers are the last 15 of the buyers' ranking. How ties are
    # broken cannot change the sums, so one sort (SQLite sorts for each window) does for both.
    ranked = select(
        *group,
        branches.c.bought,
        branches.c.net,
        func.row_number().over(partition_by=group, order_by=branches.c.net.desc()).label("rank"),
        func.count().over(partition_by=group).label("branches"),
    ).subquery()
    net = ranked.c.net
    return select(
        *(ranked.c[key.key] for key in keys),
        total(ranked.c.bought),
        total(case((and_(ranked.c.rank <= CONCENTRATION_TOP, net > 0), net), else_=0)),
        total(case((and_(ranked.c.rank > ranked.c.branches - CONCENTRATION_TOP, net < 0), -net), else_=0)),
        total(case((net > 0, 1), else_=0)),
        total(case((net < 0, 1), else_=0)),
    ).group_by(*(ranked.c[key.key] for key in keys))


def concentration_frame(rows: list[Any], daily: bool = False) -> pd.DataFrame:
    """The query's rows as a frame with `concentration`: (top-15 net buys − top-15 net sells) / volume,
    NaN where nothing traded."""
    columns = ["trade_date", *COLUMNS] if daily else COLUMNS
    frame = frame_of(rows, columns).astype({column: "int64" for column in COLUMNS[1:]})
    volume = frame["volume"].where(frame["volume"] > 0)
    frame["concentration"] = (frame["top_buy_shares"] - frame["top_sell_shares"]) / volume
    return frame
