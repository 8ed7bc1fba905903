"""Broker flows: what people ask of the stored reports, per stock, per branch and market-wide, over any window of
trading days, as pandas DataFrames. A stock, a branch and a position are SQL on the database; the market-wide
rankings run the same statements in DuckDB over a columnar copy (flows.columnar), as benchmarks.flows chose."""

from flows.branch import BranchFlows, branch_flows
from flows.columnar import ColumnarCopy
from flows.errors import FlowsError, NoStoredDaysError, UnknownBranchError, UnknownStockError
from flows.position import position
from flows.rankings import rank_branches, rank_stocks, rankings
from flows.signals import (
    LOT,
    Signal,
    SignalKind,
    among_top,
    concentration_streak,
    day_trade_flips,
    net_buying,
    window_to,
)
from flows.stock import StockFlows, stock_flows
from flows.trades import as_records
from flows.window import Window, resolve_window
from storage.stock_days import CONCENTRATION_TOP

__all__ = [
    "CONCENTRATION_TOP",
    "LOT",
    "BranchFlows",
    "ColumnarCopy",
    "FlowsError",
    "NoStoredDaysError",
    "Signal",
    "SignalKind",
    "StockFlows",
    "UnknownBranchError",
    "UnknownStockError",
    "Window",
    "among_top",
    "as_records",
    "branch_flows",
    "concentration_streak",
    "day_trade_flips",
    "net_buying",
    "position",
    "rank_branches",
    "rank_stocks",
    "rankings",
    "resolve_window",
    "stock_flows",
    "window_to",
]
