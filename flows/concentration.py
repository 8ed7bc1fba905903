"""主力集中度, the concentration of a stock's trading: what its top 15 net buyers bought beyond what its top
15 net sellers sold, over the window's volume; with how many branches net-bought against net-sold.

The rule is storage's (storage.stock_days), which keeps each stored day's figures; here it runs over a
window of days, for one stock or the market-wide ranking."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Select, func

from flows.trades import BUY_SHARES, SELL_SHARES, frame_of, total, window_days
from flows.window import Window
from storage.models import BranchDayRow
from storage.stock_days import FIGURES, concentration


def concentration_query(window: Window, stock_code: str | None = None) -> Select[Any]:
    """Per stock (all, or one) over the whole window: the stock code, then FIGURES."""
    bought = total(BUY_SHARES).label("bought")
    net = total(BUY_SHARES - SELL_SHARES).label("net")
    if stock_code is None:
        per_branch = window_days(window, BranchDayRow.stock_code, bought, net).group_by(
            BranchDayRow.stock_code, BranchDayRow.broker_id
        )
    else:
        # One stock's branches grouped by branch alone: PostgreSQL then expects as many groups as branches
        # and hashes them, where by stock and branch it expects a group per row and sorts them on disk.
        per_branch = (
            window_days(window, func.max(BranchDayRow.stock_code).label("stock_code"), bought, net)
            .where(BranchDayRow.stock_code == stock_code)
            .group_by(BranchDayRow.broker_id)
        )
    return concentration(per_branch.subquery(), ["stock_code"])


def concentration_frame(rows: list[Any], keys: tuple[str, ...] = ("stock_code",)) -> pd.DataFrame:
    """Rows of `keys` then FIGURES as a frame with `concentration`: (top-15 net buys − top-15 net sells) /
    volume, NaN where nothing traded."""
    frame = frame_of(rows, [*keys, *FIGURES]).astype({column: "int64" for column in FIGURES})
    volume = frame["volume"].where(frame["volume"] > 0)
    frame["concentration"] = (frame["top_buy_shares"] - frame["top_sell_shares"]) / volume
    return frame
