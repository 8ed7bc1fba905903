"""The market over a window: stocks ranked by concentration, branches ranked by net value bought.

Each ranking is GROUP BYs over the window's branch days in the database; the frames hold every stock
(or branch), best first, for the caller to cut."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import func, select

from flows.concentration import concentration_frame, concentration_query
from flows.trades import SIDES, frame_of, total, window_days, with_values
from flows.window import Window
from storage import Store
from storage.models import BranchDayRow

BRANCH_RANK_COLUMNS = [
    "broker_id",
    "broker_name",
    "stocks",
    "buy_shares",
    "sell_shares",
    "net_shares",
    "buy_value",
    "sell_value",
    "net_value",
]


def rank_stocks(store: Store, window: Window) -> pd.DataFrame:
    """Every stock that traded in the window, the most concentrated net buying first (see concentration)."""
    frame = concentration_frame(store.read(concentration_query(window)))
    return frame.sort_values(
        ["concentration", "stock_code"], ascending=[False, True], ignore_index=True, na_position="last"
    )


def rank_branches(store: Store, window: Window) -> pd.DataFrame:
    """Every branch that traded in the window, by net value (NT$ bought − sold), the biggest buyer first."""
    # Per stock and branch first: that GROUP BY follows branch_days' own order (stock, branch), so SQLite
    # streams it without a sort or a lookup per row; grouping by branch straight away made it walk the
    # branch index and look every row up, four times slower on 20 days of the full market.
    per_stock = window_days(
        window,
        BranchDayRow.stock_code,
        BranchDayRow.broker_id,
        func.max(BranchDayRow.broker_name).label("broker_name"),
        *SIDES,
    ).group_by(BranchDayRow.stock_code, BranchDayRow.broker_id).subquery()
    rows = store.read(
        select(
            per_stock.c.broker_id,
            func.max(per_stock.c.broker_name),
            func.count(),
            *(total(per_stock.c[column.name]).label(column.name) for column in SIDES),
        ).group_by(per_stock.c.broker_id)
    )
    frame = with_values(frame_of(rows, ["broker_id", "broker_name", "stocks", *(c.name for c in SIDES)]))
    frame = frame.astype({"stocks": "int64"})
    frame = frame.sort_values(["net_value", "broker_id"], ascending=[False, True], ignore_index=True)
    return frame[BRANCH_RANK_COLUMNS]
