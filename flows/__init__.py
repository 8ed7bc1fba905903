"""Broker flows: what people ask of the stored reports, per stock, per branch and market-wide, over any
window of trading days; answers are pandas DataFrames aggregated by the database.

Two engines, chosen by measurement (benchmarks/flows.py, the replica's full market): one stock, one
branch and a position are SQL on the database itself (SQLite or PostgreSQL) over storage's branch_days, a
range of an index each, always current and as quick as DuckDB; the market-wide rankings read millions of
branch days, where DuckDB over a columnar copy (flows.columnar) is several times faster (README, "Broker
flows"). Both run the same SQLAlchemy statements.
Values are exact integer cents in SQL, float64 NT$ in the frames (see flows.trades.with_values)."""

from flows.branch import BranchFlows, branch_flows
from flows.columnar import ColumnarCopy
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
    "resolve_window",
    "stock_flows",
]
