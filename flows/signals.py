"""What a watchlist asks of the stored flows on one trade date: each rule one function, answered with Signals.
Every figure comes from the flows' own questions (branch_flows, stock_flows), never from a sum of its own."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from flows.branch import branch_flows
from flows.errors import NoStoredDaysError
from flows.stock import stock_flows
from flows.window import Window, resolve_window
from storage import Store
from storage.stock_days import CONCENTRATION_TOP

LOT = 1000  # shares in a 張, the unit people count a branch's buying in


class SignalKind(StrEnum):
    NET_BUY = "net_buy"
    CONCENTRATION = "concentration"
    TOP_BRANCH = "top_branch"
    DAY_TRADE_FLIP = "day_trade_flip"


@dataclass(frozen=True)
class Signal:
    """A rule met: which, on what window, about which stock (and branch), said in one sentence."""

    kind: SignalKind
    window: Window
    stock_code: str
    broker_id: str | None
    text: str


def window_to(store: Store, trade_date: date, days: int) -> Window:
    """The `days` latest stored trading days up to `trade_date`, which must be stored itself."""
    stored = resolve_window(store, end=trade_date)
    if stored.last != trade_date:
        raise NoStoredDaysError(f"no report of {trade_date.isoformat()} is stored; fetch the day first")
    return Window(stored.trade_dates[-days:])


def net_buying(
    store: Store, broker_id: str, window: Window, lots: int, stock_codes: tuple[str, ...] = ()
) -> list[Signal]:
    """The stocks (all, or those of `stock_codes`) the branch net-bought at least `lots` 張 of over `window`."""
    flows = branch_flows(store, broker_id, window)
    stocks = flows.stocks
    if stock_codes:
        stocks = stocks[stocks["stock_code"].isin(stock_codes)]
    over = stocks[stocks["net_shares"] >= lots * LOT]
    return [
        Signal(
            SignalKind.NET_BUY,
            window,
            row.stock_code,
            broker_id,
            f"{broker_id} {flows.broker_name} net-bought {_lots(row.net_shares)} of {row.stock_code} "
            f"over {_span(window)} (rule: at least {lots:,} 張)",
        )
        for row in over.itertuples()
    ]


def concentration_streak(store: Store, stock_code: str, window: Window, percent: float) -> Signal | None:
    """A signal when the stock's concentration (主力集中度, each day's own) was above `percent` % on every day
    of `window`: so many days in a row."""
    days = stock_flows(store, stock_code, window).days
    daily = [float(value) for value in days["concentration"]]
    if not daily or any(math.isnan(value) or value * 100 <= percent for value in daily):
        return None
    shown = ", ".join(f"{value * 100:.1f}%" for value in daily)
    return Signal(
        SignalKind.CONCENTRATION,
        window,
        stock_code,
        None,
        f"{stock_code}'s concentration stayed above {percent:g}% for {window.days} trading day(s) in a row "
        f"to {window.last.isoformat()}: {shown}",
    )


def among_top(
    store: Store, stock_code: str, broker_ids: tuple[str, ...], window: Window, top: int = CONCENTRATION_TOP
) -> list[Signal]:
    """The branches of `broker_ids` among the stock's `top` net buyers or net sellers over `window`."""
    flows = stock_flows(store, stock_code, window, top)
    signals = []
    for side, leaders in (("buyers", flows.top_buyers(top)), ("sellers", flows.top_sellers(top))):
        for rank, row in enumerate(leaders.itertuples(), start=1):
            if row.broker_id in broker_ids:
                signals.append(
                    Signal(
                        SignalKind.TOP_BRANCH,
                        window,
                        stock_code,
                        row.broker_id,
                        f"{row.broker_id} {row.broker_name} is {stock_code}'s net {side[:-1]} no. {rank} of the "
                        f"top {top} over {_span(window)}: {_lots(abs(row.net_shares))} net",
                    )
                )
    return signals


def day_trade_flips(
    store: Store, broker_id: str, window: Window, lots: int, stock_codes: tuple[str, ...] = ()
) -> list[Signal]:
    """隔日沖: the stocks (all, or those of `stock_codes`) the branch net-bought at least `lots` 張 of on the
    window's first day and net-sold at least `lots` 張 of on its last, the next stored trading day."""
    if window.days != 2:
        raise ValueError("a day-trade flip spans two trading days: the day of buying and the next")
    bought = _net_shares(store, broker_id, Window(window.trade_dates[:1]))
    sold = _net_shares(store, broker_id, Window(window.trade_dates[1:]))
    signals = []
    for stock_code in sorted(bought):
        if stock_codes and stock_code not in stock_codes:
            continue
        if bought[stock_code] >= lots * LOT and -sold.get(stock_code, 0) >= lots * LOT:
            signals.append(
                Signal(
                    SignalKind.DAY_TRADE_FLIP,
                    window,
                    stock_code,
                    broker_id,
                    f"{broker_id} net-bought {_lots(bought[stock_code])} of {stock_code} on "
                    f"{window.first.isoformat()} and net-sold {_lots(-sold[stock_code])} on "
                    f"{window.last.isoformat()} (隔日沖)",
                )
            )
    return signals


def _net_shares(store: Store, broker_id: str, window: Window) -> dict[str, int]:
    stocks = branch_flows(store, broker_id, window).stocks
    return {row.stock_code: int(row.net_shares) for row in stocks.itertuples()}


def _lots(shares: int) -> str:
    whole, odd = divmod(int(shares), LOT)
    return f"{whole:,} 張" if not odd else f"{shares / LOT:,.3f} 張"


def _span(window: Window) -> str:
    if window.days == 1:
        return window.last.isoformat()
    return f"the {window.days} trading days to {window.last.isoformat()}"
