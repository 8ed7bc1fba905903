"""Broker flows: what people ask of the stored reports, per stock, per branch and market-wide, over any
window of trading days; answers are pandas DataFrames aggregated by the database.

The engine is SQL on the database itself (SQLite or PostgreSQL), chosen by measurement against DuckDB over
the Parquet dataset of `bsr export` (benchmarks/flows.py; figures in the README's "Broker flows"): the
database always holds the latest reports, with no second copy to keep in step, and its GROUP BY answers
within the targets. Values are exact integer cents in SQL, float64 NT$ in the frames (see
flows.trades.with_values)."""

from flows.branch import BranchFlows, branch_flows
from flows.concentration import CONCENTRATION_TOP
from flows.errors import FlowsError, NoStoredDaysError, UnknownBranchError, UnknownStockError
from flows.position import position
from flows.rankings import rank_branches, rank_stocks
from flows.stock import StockFlows, stock_flows
from flows.trades import as_records
from flows.window import Window, resolve_window

__all__ = [
    "CONCENTRATION_TOP",
    "BranchFlows",
    "FlowsError",
    "NoStoredDaysError",
    "StockFlows",
    "UnknownBranchError",
    "UnknownStockError",
    "Window",
    "as_records",
    "branch_flows",
    "position",
    "rank_branches",
    "rank_stocks",
    "resolve_window",
    "stock_flows",
]
