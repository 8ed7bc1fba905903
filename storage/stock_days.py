"""主力集中度's rule and a stock's volume, written once, and stock_days: each stored day's figures of a stock.
The same statement fills stock_days as each report is stored, filled it for the days stored before the table
(its migration), and answers flows' questions over any window of days (flows.concentration)."""

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
# What the top net buyers and sellers did, and how many branches net-bought and net-sold.
CONCENTRATION = ["top_buy_shares", "top_sell_shares", "buying_branches", "selling_branches"]
# The figures of a stock over some days, in the order stock_days and the statements below give them.
FIGURES = ["volume", *CONCENTRATION]


def total(expression: ColumnElement[Any]) -> ColumnElement[int]:
    """SUM as a 64-bit integer: PostgreSQL's SUM of bigint is numeric, which would come back as Decimal."""
    return cast(func.sum(expression), BigInteger)


def day_volume(
    traded_shares: ColumnElement[Any] | None, bought: ColumnElement[Any], sold: ColumnElement[Any]
) -> ColumnElement[int]:
    """A stock's volume of one day, the one every share of volume and concentration divides by: the report
    view's 成交股數 where it was stored, else the larger of the report's total buys and total sells.

    A real report's buys and sells may differ (6 of 27 on 2026-07-29), and no capture shows which of them, if
    either, 成交股數 counts (SITE.md, "The report"): the site's own figure first, else the side that saw more."""
    larger = case((bought >= sold, bought), else_=sold)
    return larger if traded_shares is None else func.coalesce(traded_shares, larger)


def concentration(branches: FromClause, keys: Sequence[str]) -> Select[Any]:
    """Per `keys` (a stock, or a stock and a day), over `branches`, a row per branch with its shares `bought`
    and `sold` and its `net` shares (bought − sold): the `keys`, the shares `bought` and `sold` in all, then
    CONCENTRATION. The volume is the caller's (day_volume for a day, the days' sum for a window)."""
    group = [branches.c[key] for key in keys]
    # One ordering serves both ends: the sellers are the last 15 of the buyers' ranking. How ties are
    # broken cannot change the sums, so one sort (SQLite sorts for each window) does for both.
    ranked = select(
        *group,
        branches.c.bought,
        branches.c.sold,
        branches.c.net,
        func.row_number().over(partition_by=group, order_by=branches.c.net.desc()).label("rank"),
        func.count().over(partition_by=group).label("branches"),
    ).subquery()
    net = ranked.c.net
    return select(
        *(ranked.c[key] for key in keys),
        total(ranked.c.bought).label("bought"),
        total(ranked.c.sold).label("sold"),
        total(case((and_(ranked.c.rank <= CONCENTRATION_TOP, net > 0), net), else_=0)).label("top_buy_shares"),
        total(case((and_(ranked.c.rank > ranked.c.branches - CONCENTRATION_TOP, net < 0), -net), else_=0)).label(
            "top_sell_shares"
        ),
        total(case((net > 0, 1), else_=0)).label("buying_branches"),
        total(case((net < 0, 1), else_=0)).label("selling_branches"),
    ).group_by(*(ranked.c[key] for key in keys))


def fill_stock_days(
    stock_days: FromClause, branch_days: FromClause, *conditions: Any, reports: FromClause | None = None
) -> Insert:
    """INSERT into `stock_days` the figures of each stock and day of the `branch_days` that meet `conditions`,
    the volume by day_volume with the view's 成交股數 from `reports` (without it, the larger total).

    Tables are passed in so that the migrations which fill stock_days fill it with the tables they know."""
    days = branch_days.c
    # branch_days holds one row per stock, branch and day: each is a branch of its stock's day as it is.
    branches = (
        select(
            days.trade_date,
            days.stock_code,
            days.buy_shares.label("bought"),
            days.sell_shares.label("sold"),
            (days.buy_shares - days.sell_shares).label("net"),
        )
        .where(*conditions)
        .subquery()
    )
    figures = concentration(branches, ["trade_date", "stock_code"]).subquery()
    source: FromClause = figures
    traded_shares = None
    if reports is not None:
        source = figures.outerjoin(
            reports,
            and_(reports.c.trade_date == figures.c.trade_date, reports.c.stock_code == figures.c.stock_code),
        )
        traded_shares = reports.c.traded_shares
    volume = day_volume(traded_shares, figures.c.bought, figures.c.sold)
    return insert(stock_days).from_select(
        ["trade_date", "stock_code", *FIGURES],
        select(
            figures.c.trade_date, figures.c.stock_code, volume, *(figures.c[figure] for figure in CONCENTRATION)
        ).select_from(source),
    )
