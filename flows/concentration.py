"""主力集中度, the concentration of a stock's trading: what its top 15 net buyers bought beyond what its top 15
net sellers sold, over the window's volume, with how many branches net-bought against net-sold. The rule and the
volume are storage's (storage.stock_days), which keeps each day's figures; here they run over a window."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from sqlalchemy import Select, func, select

from flows.trades import BUY_SHARES, SELL_SHARES, frame_of, total, window_days
from flows.window import Window
from storage import Store
from storage.models import STOCK_DAYS, BranchDayRow
from storage.stock_days import CONCENTRATION, FIGURES, concentration


def concentration_query(window: Window, stock_code: str | None = None) -> Select[Any]:
    """Per stock (all, or one) over the whole window: the stock code, its shares bought and sold, then
    CONCENTRATION; the volume it is weighed by is window_volumes'."""
    bought = total(BUY_SHARES).label("bought")
    sold = total(SELL_SHARES).label("sold")
    net = total(BUY_SHARES - SELL_SHARES).label("net")
    if stock_code is None:
        per_branch = window_days(window, BranchDayRow.stock_code, bought, sold, net).group_by(
            BranchDayRow.stock_code, BranchDayRow.broker_id
        )
    else:
        # One stock's branches grouped by branch alone: PostgreSQL then expects as many groups as branches
        # and hashes them, where by stock and branch it expects a group per row and sorts them on disk.
        per_branch = (
            window_days(window, func.max(BranchDayRow.stock_code).label("stock_code"), bought, sold, net)
            .where(BranchDayRow.stock_code == stock_code)
            .group_by(BranchDayRow.broker_id)
        )
    return concentration(per_branch.subquery(), ["stock_code"])


def window_volumes(store: Store, window: Window, stock_codes: list[str] | None = None) -> dict[str, int]:
    """Shares traded per stock (all, or those of `stock_codes`) over the window: the sum of its days' volumes
    (storage.stock_days.day_volume), which every share of volume and concentration over a window divides by."""
    query = select(STOCK_DAYS.c.stock_code, total(STOCK_DAYS.c.volume)).where(
        STOCK_DAYS.c.trade_date.between(window.first, window.last)
    )
    if stock_codes is not None:
        query = query.where(STOCK_DAYS.c.stock_code.in_(stock_codes))
    return {stock_code: int(volume) for stock_code, volume in store.read(query.group_by(STOCK_DAYS.c.stock_code))}


def window_concentration(rows: list[Any], volumes: Mapping[str, int]) -> pd.DataFrame:
    """concentration_query's rows with each stock's window volume, as concentration_frame's frame."""
    frame = frame_of(rows, ["stock_code", "bought", "sold", *CONCENTRATION]).drop(columns=["bought", "sold"])
    frame.insert(1, "volume", frame["stock_code"].map(volumes).fillna(0))
    return concentration_frame(frame)


def concentration_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame of FIGURES (and its keys) with `concentration`: (top-15 net buys − top-15 net sells) / volume,
    NaN where nothing traded."""
    frame = frame.astype({column: "int64" for column in FIGURES})
    volume = frame["volume"].where(frame["volume"] > 0)
    frame["concentration"] = (frame["top_buy_shares"] - frame["top_sell_shares"]) / volume
    return frame
