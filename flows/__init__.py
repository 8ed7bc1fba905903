"""Broker flows: what people ask of the stored reports, per stock, per branch and market-wide, over any
window of trading days; answers are pandas DataFrames aggregated by the database.

Two engines, chosen by measurement (benchmarks/flows.py; README, "Broker flows"): a stock's, a branch's
and a position's questions are SQL on the database itself (SQLite or PostgreSQL) over storage's
branch_days, a range of an index each and always current, and a stock's figures of each day (its daily
concentration) are read from storage's stock_days, kept with each report; the market-wide rankings, which
read every branch day of the window, run the same SQLAlchemy statements in DuckDB over a columnar copy
(flows.columnar), 5 to 20 times faster there.
Values are exact integer cents in SQL, float64 NT$ in the frames (see flows.trades.with_values)."""

from flows.branch import BranchFlows, branch_flows
from flows.columnar import ColumnarCopy
from flows.errors import FlowsError, NoStoredDaysError, UnknownBranchError, UnknownStockError
from flows.position import position
from flows.rankings import rank_branches, rank_stocks, rankings
from flows.stock import StockFlows, stock_flows
from flows.trades import as_records
from flows.window import Window, resolve_window
from storage.stock_days import CONCENTRATION_TOP

__all__ = [
    "CONCENTRATION_TOP",
    "BranchFlows",
    "ColumnarCopy",
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
    "rankings",
    "resolve_window",
    "stock_flows",
]
