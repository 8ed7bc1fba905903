"""主力集中度's rule, written once, and stock_days: each stored day's figures of a stock under that rule (volume,
what its top 15 net buyers bought and top 15 net sellers sold, how many branches net-bought and net-sold).

The same statement fills stock_days as each report is stored, filled it for the days stored before the
table (its migration), and answers flows' questions over any window of days (flows.concentration)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    FromClause,
    Insert,
    Select,
    and_,
    case,
    cast,
    func,
    insert,
    select,
)

CONCENTRATION_TOP = 15
# The figures of a stock over some days, in the order the statements below give them.
FIGURES = ["volume", "top_buy_shares", "top_sell_shares", "buying_branches", "selling_branches"]


def total(expression: ColumnElement[Any]) -> ColumnElement[int]:
    """SUM as a 64-bit integer: PostgreSQL's SUM of bigint is numeric, which would come back as Decimal."""
    return cast(func.sum(expression), BigInteger)


def concentration(branches: FromClause, keys: Sequence[str]) -> Select[Any]:
    """Per `keys` (a stock, or a stock and a day), over `branches`, a row per branch with its shares `bought`
    and its `net` shares (bought − sold): the `keys`, then FIGURES.

    The volume is the shares bought (every trade has a buyer and a seller, so it equals the shares sold)."""
    group = [branches.c[key] for key in keys]
    # One ordering serves both ends: the sellers are the last 15 of the buyers' ranking. How ties are
    # broken cannot change the sums, so one sort (SQLite sorts for each window) does for both.
    ranked = select(
        *group,
        branches.c.bought,
        branches.c.net,
        func.row_number().over(partition_by=group, order_by=branches.c.net.desc()).label("rank"),
        func.count().over(partition_by=group).label("branches"),
    ).subquery()
    net = ranked.c.net
    return select(
        *(ranked.c[key] for key in keys),
        total(ranked.c.bought),
        total(case((and_(ranked.c.rank <= CONCENTRATION_TOP, net > 0), net), else_=0)),
        total(case((and_(ranked.c.rank > ranked.c.branches - CONCENTRATION_TOP, net < 0), -net), else_=0)),
        total(case((net > 0, 1), else_=0)),
        total(case((net < 0, 1), else_=0)),
    ).group_by(*(ranked.c[key] for key in keys))


def fill_stock_days(stock_days: FromClause, branch_days: FromClause, *conditions: Any) -> Insert:
    """INSERT into `stock_days` the figures of each stock and day of the `branch_days` that meet `conditions`.

    Tables are passed in so that the migration which made stock_days fills it with the tables it knows."""
    days = branch_days.c
    # branch_days holds one row per stock, branch and day: each is a branch of its stock's day as it is.
    branches = (
        select(
            days.trade_date,
            days.stock_code,
            days.buy_shares.label("bought"),
            (days.buy_shares - days.sell_shares).label("net"),
        )
        .where(*conditions)
        .subquery()
    )
    return insert(stock_days).from_select(
        ["trade_date", "stock_code", *FIGURES], concentration(branches, ["trade_date", "stock_code"])
    )
