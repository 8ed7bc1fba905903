"""One stock over a window: what each broker branch bought and sold, who led each way, how concentrated.

stock_flows() answers with frames that a table, a chart or a JSON answer shows as they are."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd
from sqlalchemy import func, select

from flows.concentration import concentration_frame, concentration_query, window_concentration, window_volumes
from flows.errors import UnknownStockError
from flows.trades import (
    BUY_SHARES,
    NET_COLUMNS,
    PRICE_COLUMNS,
    SELL_SHARES,
    SIDES,
    frame_of,
    total,
    window_days,
    with_values,
)
from flows.window import Window
from storage import Store
from storage.models import STOCK_DAYS, BranchDayRow, ReportRow
from storage.stock_days import FIGURES

BRANCH_COLUMNS = ["broker_id", "broker_name", *NET_COLUMNS, *PRICE_COLUMNS, "volume_share"]


@dataclass(frozen=True)
class StockFlows:
    stock_code: str
    window: Window
    # One row per branch (BRANCH_COLUMNS), the biggest net buyer first and the biggest net seller last.
    branches: pd.DataFrame
    volume: int  # shares traded in the window (storage.stock_days.day_volume, summed)
    concentration: float  # 主力集中度; NaN when nothing traded
    buying_branches: int  # branches that net-bought over the window
    selling_branches: int
    # Net shares per trade date (rows, every day of the window) of the top branches (columns, broker ids).
    daily_net: pd.DataFrame
    # Per trade date of the window: volume, that day's concentration, and the close as the report view
    # gave it (NaN where no figures are stored: a gap, never a made-up price).
    days: pd.DataFrame

    def top_buyers(self, count: int) -> pd.DataFrame:
        return self.branches[self.branches["net_shares"] > 0].head(count)

    def top_sellers(self, count: int) -> pd.DataFrame:
        sellers = self.branches[self.branches["net_shares"] < 0]
        return sellers.iloc[::-1].head(count)


def stock_flows(store: Store, stock_code: str, window: Window, top: int = 10) -> StockFlows:
    """The branches of `stock_code` over `window`; `daily_net` follows its `top` net buyers and sellers.

    volume_share is a branch's shares bought and sold over twice the volume (each trade counts on both
    sides): the shares of all branches add up to 1 where the buys equal the sells and the view's 成交股數."""
    rows = store.read(
        window_days(window, BranchDayRow.broker_id, func.max(BranchDayRow.broker_name), *SIDES)
        .where(BranchDayRow.stock_code == stock_code)
        .group_by(BranchDayRow.broker_id)
    )
    if not rows and not store.read(select(ReportRow.id).where(ReportRow.stock_code == stock_code).limit(1)):
        raise UnknownStockError(f"no report of {stock_code!r} is stored; check the code (e.g. 2330) or fetch it first")
    branches = with_values(frame_of(rows, ["broker_id", "broker_name", *(c.name for c in SIDES)]))
    volume = window_volumes(store, window, [stock_code]).get(stock_code, 0)
    branches["volume_share"] = (branches["buy_shares"] + branches["sell_shares"]) / (2 * volume or float("nan"))
    branches = branches.sort_values(["net_shares", "broker_id"], ascending=[False, True], ignore_index=True)
    branches = branches[BRANCH_COLUMNS]
    summary = window_concentration(store.read(concentration_query(window, stock_code)), {stock_code: volume})
    flows = StockFlows(
        stock_code=stock_code,
        window=window,
        branches=branches,
        volume=volume,
        concentration=float(summary["concentration"].iloc[0]) if len(summary) else float("nan"),
        buying_branches=int(summary["buying_branches"].iloc[0]) if len(summary) else 0,
        selling_branches=int(summary["selling_branches"].iloc[0]) if len(summary) else 0,
        daily_net=pd.DataFrame(),
        days=_days(store, stock_code, window),
    )
    leaders = [*flows.top_buyers(top)["broker_id"], *flows.top_sellers(top)["broker_id"]]
    return replace(flows, daily_net=_daily_net(store, stock_code, window, leaders))


def _days(store: Store, stock_code: str, window: Window) -> pd.DataFrame:
    # Each day's figures were kept as its report was stored (storage.stock_days).
    daily = concentration_frame(
        frame_of(
            store.read(
                select(STOCK_DAYS.c.trade_date, *(STOCK_DAYS.c[figure] for figure in FIGURES)).where(
                    STOCK_DAYS.c.stock_code == stock_code, STOCK_DAYS.c.trade_date.between(window.first, window.last)
                )
            ),
            ["trade_date", *FIGURES],
        )
    )
    closes = store.read(
        select(ReportRow.trade_date, ReportRow.close_price).where(
            ReportRow.stock_code == stock_code, ReportRow.trade_date.between(window.first, window.last)
        )
    )
    frame = pd.DataFrame({"trade_date": list(window.trade_dates)})
    frame = frame.merge(daily[["trade_date", "volume", "concentration"]], on="trade_date", how="left")
    frame["volume"] = frame["volume"].fillna(0).astype("int64")
    close_by_day = {day: float(close) for day, close in closes if close is not None}
    frame["close_price"] = frame["trade_date"].map(close_by_day).astype("float64")
    return frame


def _daily_net(store: Store, stock_code: str, window: Window, broker_ids: list[str]) -> pd.DataFrame:
    """Net shares by trade date and branch; a day a branch did not trade the stock is a true 0."""
    days = pd.Index(window.trade_dates, name="trade_date")
    if not broker_ids:
        return pd.DataFrame(0, index=days, columns=broker_ids)
    rows = store.read(
        window_days(window, BranchDayRow.trade_date, BranchDayRow.broker_id, total(BUY_SHARES - SELL_SHARES))
        .where(BranchDayRow.stock_code == stock_code, BranchDayRow.broker_id.in_(broker_ids))
        .group_by(BranchDayRow.trade_date, BranchDayRow.broker_id)
    )
    net = frame_of(rows, ["trade_date", "broker_id", "net"]).set_index(["trade_date", "broker_id"])["net"]
    by_day = net.unstack(fill_value=0).reindex(index=days, columns=broker_ids, fill_value=0)
    return by_day.rename_axis(columns=None)
