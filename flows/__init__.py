"""Broker flows: what people ask of the stored reports, per stock, per branch and market-wide, over any
window of trading days; answers are pandas DataFrames aggregated by the database.

The engine is SQL on the database itself (SQLite or PostgreSQL) over storage's branch_days, chosen by
measurement against DuckDB over the Parquet dataset of `bsr export --format dataset` (benchmarks/flows.py;
29 days of the replica's full market on a loaded 2-core machine, medians, SQLite / PostgreSQL / DuckDB):
one stock 261 / 202 / 214 ms, one branch 527 / 503 / 270 ms, stocks by concentration over 20 days
4.4 / 7.1 / 1.9 s, branches by net value 4.7 / 3.5 / 0.5 s. Per stock and per branch the database is as
quick or within target, always current and a single copy, with the same answers on both databases; the
market-wide rankings are where DuckDB over the dataset is 2 to 9 times faster (README, "Broker flows").
Values are exact integer cents in SQL, float64 NT$ in the frames (see flows.trades.with_values)."""

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
