"""The market over a window: stocks ranked by concentration, branches ranked by net value bought.
Each ranking is GROUP BYs over the window's millions of branch days, run by DuckDB on their columnar copy;
the frames hold every stock (or branch), best first, for the caller to cut."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Select, func

from flows.columnar import ColumnarCopy
from flows.concentration import concentration_query, window_concentration, window_volumes
from flows.trades import NET_COLUMNS, SIDES, frame_of, window_days, with_values
from flows.window import Window
from storage.models import BranchDayRow

BRANCH_RANK_COLUMNS = ["broker_id", "broker_name", "stocks", *NET_COLUMNS]


def rankings(columnar: ColumnarCopy, window: Window) -> tuple[pd.DataFrame, pd.DataFrame]:
    """rank_stocks and rank_branches both, from one read of the copy (what the dashboard shows together)."""
    stocks, branches = columnar.read(window, concentration_query(window), branch_ranking_query(window))
    return _ranked_stocks(stocks, window_volumes(columnar.store, window)), _ranked_branches(branches)


def rank_stocks(columnar: ColumnarCopy, window: Window) -> pd.DataFrame:
    """Every stock that traded in the window, the most concentrated net buying first (see concentration)."""
    (rows,) = columnar.read(window, concentration_query(window))
    return _ranked_stocks(rows, window_volumes(columnar.store, window))


def rank_branches(columnar: ColumnarCopy, window: Window) -> pd.DataFrame:
    """Every branch that traded in the window, by net value (NT$ bought − sold), the biggest buyer first."""
    (rows,) = columnar.read(window, branch_ranking_query(window))
    return _ranked_branches(rows)


def _ranked_stocks(rows: list[Any], volumes: dict[str, int]) -> pd.DataFrame:
    return window_concentration(rows, volumes).sort_values(
        ["concentration", "stock_code"], ascending=[False, True], ignore_index=True, na_position="last"
    )


def _ranked_branches(rows: list[Any]) -> pd.DataFrame:
    frame = with_values(frame_of(rows, ["broker_id", "broker_name", "stocks", *(c.name for c in SIDES)]))
    frame = frame.astype({"stocks": "int64"})
    frame = frame.sort_values(["net_value", "broker_id"], ascending=[False, True], ignore_index=True)
    return frame[BRANCH_RANK_COLUMNS]


def branch_ranking_query(window: Window) -> Select[Any]:
    """Per branch over the window: its name, how many stocks it traded, its SIDES."""
    return window_days(
        window,
        BranchDayRow.broker_id,
        func.max(BranchDayRow.broker_name),
        func.count(BranchDayRow.stock_code.distinct()),
        *SIDES,
    ).group_by(BranchDayRow.broker_id)
